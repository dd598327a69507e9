import {
  registerDecorator,
  ValidationArguments,
  ValidationOptions,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';

import { isValidBusinessId } from './business-id';
import { isValidIdentityCode } from './identity-code';
import { normaliseEmail, normalisePhone } from './normalise';

/*
 * Every default message names the property but never echoes the value: these fields hold personal data, and
 * validation messages end up in HTTP responses and logs. (The ValidationError objects themselves still carry
 * the value unless the ValidationPipe is given validationError: { target: false, value: false }.)
 */

@ValidatorConstraint({ name: 'isIdentityCode', async: false })
export class IsIdentityCodeConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isValidIdentityCode(value);
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a valid Finnish personal identity code`;
  }
}

@ValidatorConstraint({ name: 'isBusinessId', async: false })
export class IsBusinessIdConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isValidBusinessId(value);
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a valid Finnish business ID`;
  }
}

@ValidatorConstraint({ name: 'isNormalisableEmail', async: false })
export class IsNormalisableEmailConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && normaliseEmail(value) !== null;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a valid e-mail address`;
  }
}

@ValidatorConstraint({ name: 'isNormalisablePhone', async: false })
export class IsNormalisablePhoneConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && normalisePhone(value) !== null;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a valid phone number`;
  }
}

export function IsIdentityCode(options?: ValidationOptions): PropertyDecorator {
  return decorator('isIdentityCode', IsIdentityCodeConstraint, options);
}

export function IsBusinessId(options?: ValidationOptions): PropertyDecorator {
  return decorator('isBusinessId', IsBusinessIdConstraint, options);
}

export function IsNormalisableEmail(options?: ValidationOptions): PropertyDecorator {
  return decorator('isNormalisableEmail', IsNormalisableEmailConstraint, options);
}

export function IsNormalisablePhone(options?: ValidationOptions): PropertyDecorator {
  return decorator('isNormalisablePhone', IsNormalisablePhoneConstraint, options);
}

function decorator(
  name: string,
  constraint: new () => ValidatorConstraintInterface,
  options: ValidationOptions | undefined,
): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: constraint,
    });
  };
}
