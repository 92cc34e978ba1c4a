import { ValidateBy, ValidationArguments } from 'class-validator';

/** Returns why `value` is invalid (may consult the other options), or null when it is valid. */
export type Problem<V = never> = (value: V, options: Record<string, unknown>) => string | null;

/**
 * One class-validator rule built from a pure "problem" function, so the message is the exact
 * reason (no property-name prefix) and the same function can be unit-tested on its own.
 */
export function Check<V>(problem: Problem<V>): PropertyDecorator {
  const reason = (args: ValidationArguments) =>
    problem(args.value as V, args.object as Record<string, unknown>);
  return ValidateBy({
    name: 'check',
    validator: {
      validate: (_value: unknown, args?: ValidationArguments) =>
        args !== undefined && reason(args) === null,
      defaultMessage: (args?: ValidationArguments) =>
        args ? (reason(args) ?? 'invalid value') : 'invalid value',
    },
  });
}
