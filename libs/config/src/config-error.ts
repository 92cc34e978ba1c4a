/** A bad flag or environment value. The message always starts with the flag, e.g. `--trust-domain: ...`. */
export class ConfigError extends Error {
  /** The long flag name without dashes (`trust-domain`), or '' when no single flag is to blame. */
  readonly flag: string;

  constructor(flag: string, reason: string) {
    const name = flag.replace(/^-+/, '');
    super(name === '' ? reason : `${flag.startsWith('-') ? flag : `--${name}`}: ${reason}`);
    this.name = 'ConfigError';
    this.flag = name;
  }
}
