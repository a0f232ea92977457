import { createAjv, errorPointer, essentialErrors } from './ajv.js';

function errorsOf(schema: object, data: unknown) {
  const validate = createAjv().compile(schema);
  validate(data);
  return essentialErrors(validate.errors ?? []).map((e) => ({ keyword: e.keyword, pointer: errorPointer(e) }));
}

describe('essentialErrors', () => {
  const stringOrList = {
    type: 'object',
    properties: { forms: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } },
  };

  it('keeps the union error when no branch of an anyOf matches (a wrong type is never silently accepted)', () => {
    expect(errorsOf(stringOrList, { forms: 42 })).toEqual([{ keyword: 'anyOf', pointer: '/forms' }]);
  });

  it('reports nothing for a value that matches a branch', () => {
    expect(errorsOf(stringOrList, { forms: ['a'] })).toEqual([]);
    expect(errorsOf(stringOrList, { forms: 'a' })).toEqual([]);
  });

  it('drops enum errors that only repeat a type error at the same place', () => {
    const schema = { type: 'object', properties: { sex: { type: 'string', enum: ['male', 'female'] } } };
    expect(errorsOf(schema, { sex: 3 })).toEqual([{ keyword: 'type', pointer: '/sex' }]);
    expect(errorsOf(schema, { sex: 'x' })).toEqual([{ keyword: 'enum', pointer: '/sex' }]);
  });

  it('keeps every independent problem', () => {
    const schema = {
      type: 'object',
      required: ['a'],
      properties: { a: { type: 'string' }, b: { type: 'number' }, c: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
    };
    expect(errorsOf(schema, { b: 'x', c: 1 })).toEqual([
      { keyword: 'required', pointer: '/a' },
      { keyword: 'type', pointer: '/b' },
      { keyword: 'anyOf', pointer: '/c' },
    ]);
  });
});
