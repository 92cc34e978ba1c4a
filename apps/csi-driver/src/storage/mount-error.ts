/** A mount(8)/umount(8) run that failed, or one the driver refused to run. */
export class MountError extends Error {
  constructor(
    message: string,
    readonly command: string[],
    readonly stderr = '',
  ) {
    super(stderr ? `${message}: ${stderr}` : message);
    this.name = 'MountError';
  }
}
