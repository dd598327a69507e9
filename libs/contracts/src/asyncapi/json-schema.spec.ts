import { Type } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import { JsonSchemaRegistry } from './json-schema';

class Inner {
  @Matches(/^[a-z]+$/) code!: string;
}

class Outer {
  @IsIn(['a', 'b']) kind!: 'a' | 'b';
  @IsOptional() @IsString() note?: string;
  @ValidateNested() @Type(() => Inner) one!: Inner;
  @ValidateNested({ each: true }) @Type(() => Inner) many!: Inner[];
}

class Unmapped {
  @IsEmail() email!: string;
}

describe(JsonSchemaRegistry.name, () => {
  it('derives types, enums, patterns, optionality and nested $refs from class-validator metadata', () => {
    const registry = new JsonSchemaRegistry({ 'Outer.kind': 'what it is' });
    expect(registry.ref(Outer)).toEqual({ $ref: '#/components/schemas/Outer' });
    expect(registry.schemas.Outer).toEqual({
      type: 'object',
      properties: {
        kind: { description: 'what it is', type: 'string', enum: ['a', 'b'] },
        note: { type: 'string' },
        one: { $ref: '#/components/schemas/Inner' },
        many: { type: 'array', items: { $ref: '#/components/schemas/Inner' } },
      },
      required: ['kind', 'one', 'many'],
    });
    expect(registry.schemas.Inner).toEqual({
      type: 'object',
      properties: { code: { type: 'string', pattern: '^[a-z]+$' } },
      required: ['code'],
    });
  });

  it('refuses a validator it has no mapping for, so a contract change cannot be documented wrongly', () => {
    expect(() => new JsonSchemaRegistry().ref(Unmapped)).toThrow(
      /Unmapped\.email: no JSON Schema mapping for the validator isEmail/,
    );
  });
});
