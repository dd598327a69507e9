import { plainToInstance } from 'class-transformer';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/** A JSON Schema (draft 7 / AsyncAPI Schema Object) node; kept loose on purpose. */
export type JsonSchema = { [key: string]: unknown };
type Class = new () => object;

const REF = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * JSON Schemas of the event payload classes, derived from their class-validator decorators: the same metadata
 * consumers validate events with, so the published schema cannot drift from what is accepted. Nested classes
 * (@ValidateNested + @Type) become `$ref`s to their own entries. A decorator this converter does not know is an
 * error, so adding one to a contract class forces a decision here instead of silently documenting less.
 */
export class JsonSchemaRegistry {
  readonly schemas: Record<string, JsonSchema> = {};

  constructor(private readonly descriptions: Readonly<Record<string, string>> = {}) {}

  /** Registers the class (and the classes it nests) and returns a `$ref` to it. */
  ref(cls: Class): JsonSchema {
    if (!this.schemas[cls.name]) {
      this.schemas[cls.name] = {}; // placeholder: breaks cycles
      this.schemas[cls.name] = this.convert(cls);
    }
    return REF(cls.name);
  }

  private convert(cls: Class): JsonSchema {
    const metadata = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
    const byProperty = new Map<string, ValidationMetadata[]>();
    for (const m of metadata) byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [property, list] of byProperty) {
      const { schema, optional } = this.property(cls, property, list);
      const description = this.descriptions[`${cls.name}.${property}`];
      properties[property] = description ? { description, ...schema } : schema;
      if (!optional) required.push(property);
    }
    const description = this.descriptions[cls.name];
    return {
      type: 'object',
      ...(description ? { description } : {}),
      properties,
      ...(required.length > 0 ? { required } : {}),
    };
  }

  private property(
    cls: Class,
    property: string,
    list: ValidationMetadata[],
  ): { schema: JsonSchema; optional: boolean } {
    let optional = false;
    const own: JsonSchema = {}; // constraints on the value itself
    const items: JsonSchema = {}; // constraints applied with { each: true }
    let isArray = false;
    for (const m of list) {
      const target = m.each ? items : own;
      const name: string = (m.type === 'customValidation' ? m.name : m.type) ?? 'unnamed';
      const c = (m.constraints ?? []) as unknown[];
      switch (name) {
        case 'conditionalValidation': // @IsOptional
          optional = true;
          break;
        case 'isDefined':
          break;
        case 'nestedValidation': {
          const nested = nestedClassOf(cls, property);
          if (!nested) throw new Error(`${cls.name}.${property}: @ValidateNested needs @Type(() => Class)`);
          // @ValidateNested({ each: true }) validates the elements of an array.
          if (m.each) isArray = true;
          Object.assign(target, this.ref(nested));
          break;
        }
        case 'isString':
          target.type = 'string';
          break;
        case 'isBoolean':
          target.type = 'boolean';
          break;
        case 'isInt':
          target.type = 'integer';
          break;
        case 'isObject':
          target.type = 'object';
          break;
        case 'isArray':
          isArray = true;
          break;
        case 'isIn': {
          const values = c[0] as unknown[];
          target.enum = [...values];
          if (values.every((v) => typeof v === 'string')) target.type = 'string';
          break;
        }
        case 'isIso8601':
        case 'isISO8601':
          target.type = 'string';
          target.format = 'date-time';
          break;
        case 'matches':
          target.type = 'string';
          target.pattern = (c[0] instanceof RegExp ? c[0] : new RegExp(String(c[0]))).source;
          break;
        case 'minLength':
          target.minLength = c[0];
          break;
        case 'maxLength':
          target.maxLength = c[0];
          break;
        case 'min':
          target.minimum = c[0];
          break;
        case 'max':
          target.maximum = c[0];
          break;
        case 'arrayMinSize':
          isArray = true;
          own.minItems = c[0];
          break;
        case 'arrayMaxSize':
          isArray = true;
          own.maxItems = c[0];
          break;
        default:
          throw new Error(`${cls.name}.${property}: no JSON Schema mapping for the validator ${String(name)}`);
      }
    }
    if (isArray) return { schema: { ...own, type: 'array', items }, optional };
    return { schema: own, optional };
  }
}

/** The class named by @Type(() => X) on a property, found by letting class-transformer instantiate it. */
function nestedClassOf(cls: Class, property: string): Class | undefined {
  const value = (plainToInstance(cls, { [property]: {} }) as Record<string, unknown>)[property];
  return value && typeof value === 'object' && value.constructor !== Object ? (value.constructor as Class) : undefined;
}
