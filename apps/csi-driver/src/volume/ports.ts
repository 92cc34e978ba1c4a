// What the volume code needs from storage and the scheduler: their types, under one import.
export type { MetadataStore } from '../storage/metadata-store';
export type { Mounter, MountView } from '../storage/mounter';
export type { VolumeMetadata } from '../storage/volume-metadata';
export type { SvidFileWriter } from '../storage/svid-files';
export type { Scheduler } from '../scheduler/scheduler';
