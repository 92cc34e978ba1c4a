// The storage and scheduler seams the volume code depends on, gathered in one place.
export type { MetadataStore } from '../storage/metadata-store';
export type { Mounter } from '../storage/mounter';
export type { VolumeMetadata } from '../storage/volume-metadata';
export type { SvidFileWriter } from '../storage/svid-files';
export type { Scheduler } from '../scheduler/scheduler';
