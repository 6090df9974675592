import { fetchFieldKeys, findCustomField, resolveFieldKeys, resolveOptionIds } from '../../../src/pipedrive/field-keys';
import { type Field } from '../../../src/pipedrive/types';

const hex = (c: string) => c.repeat(40);

const FIELDS: Field[] = [
  { field_code: 'name', field_name: 'Name', field_type: 'varchar', is_custom_field: false, is_optional_response_field: false },
  { field_code: 'email', field_name: 'Email', field_type: 'varchar', is_custom_field: false, is_optional_response_field: false },
  { field_code: hex('a'), field_name: 'Dentrix Patient ID', field_type: 'varchar', is_custom_field: true, is_optional_response_field: false },
  {
    field_code: hex('b'),
    field_name: 'Insurance Tier',
    field_type: 'enum',
    is_custom_field: true,
    is_optional_response_field: false,
    options: [
      { id: 11, label: 'Gold' },
      { id: 12, label: 'Silver ' },
      { id: 13, label: 'bronze' },
      { id: 14, label: 'Bronze' },
      { id: 15, label: 'PPO' },
      { id: 16, label: 'ppo' },
    ],
  },
  { field_code: hex('c'), field_name: 'Email', field_type: 'varchar', is_custom_field: true, is_optional_response_field: false },
  { field_code: hex('d'), field_name: 'Chart Number', field_type: 'double', is_custom_field: true, is_optional_response_field: false },
  { field_code: hex('e'), field_name: 'Referral', field_type: 'text', is_custom_field: true, is_optional_response_field: false },
  { field_code: hex('f'), field_name: 'referral', field_type: 'varchar', is_custom_field: true, is_optional_response_field: false },
  { field_code: hex('1'), field_name: 'Provider', field_type: 'varchar', is_custom_field: true, is_optional_response_field: false },
  { field_code: hex('2'), field_name: 'Provider', field_type: 'varchar', is_custom_field: true, is_optional_response_field: false },
];

describe('field-key resolver', () => {
  it('resolves custom fields by name to their field codes, and labels to option ids', () => {
    const r = resolveFieldKeys('person', FIELDS, [
      { name: 'Dentrix Patient ID', type: 'varchar' },
      { name: 'Insurance Tier', type: 'enum', options: ['Gold', 'Silver'] },
    ]);
    expect(r).toEqual({
      entity: 'person',
      resolved: {
        'Dentrix Patient ID': { name: 'Dentrix Patient ID', fieldCode: hex('a'), fieldType: 'varchar', optionIds: {} },
        'Insurance Tier': { name: 'Insurance Tier', fieldCode: hex('b'), fieldType: 'enum', optionIds: { Gold: 11, Silver: 12 } },
      },
      missingFields: [],
      missingOptions: [],
      ambiguousFields: [],
      ambiguousOptions: [],
      typeMismatches: [],
      complete: true,
    });
  });

  it('matches names case- and whitespace-insensitively when there is no exact match', () => {
    const lookup = findCustomField(FIELDS, '  dentrix   patient id ');
    expect(lookup).toEqual({ status: 'found', field: FIELDS[2] });
  });

  it('never takes a system field for a custom one of the same name', () => {
    expect(findCustomField(FIELDS, 'Email')).toMatchObject({ status: 'found', field: { field_code: hex('c') } });
    expect(findCustomField(FIELDS, 'Name')).toEqual({ status: 'missing' });
  });

  it('an exact name wins over case-insensitive look-alikes; the type can settle a tie', () => {
    expect(findCustomField(FIELDS, 'referral')).toMatchObject({ status: 'found', field: { field_code: hex('f') } });
    expect(findCustomField(FIELDS, 'REFERRAL')).toMatchObject({ status: 'ambiguous' });
    expect(findCustomField(FIELDS, 'REFERRAL', 'text')).toMatchObject({ status: 'found', field: { field_code: hex('e') } });
  });

  it('reports missing, ambiguous and wrongly typed fields, and missing or ambiguous options', () => {
    const r = resolveFieldKeys('person', FIELDS, [
      { name: 'Recall Due', type: 'date' },
      { name: 'Provider' },
      { name: 'Chart Number', type: 'varchar' },
      { name: 'Insurance Tier', options: ['Gold', 'Platinum', 'BRONZE', 'PPO'] },
    ]);
    expect(r.missingFields).toEqual(['Recall Due']);
    expect(r.ambiguousFields).toEqual([{ field: 'Provider', fieldCodes: [hex('1'), hex('2')] }]);
    expect(r.typeMismatches).toEqual([{ field: 'Chart Number', fieldCode: hex('d'), expected: 'varchar', actual: 'double' }]);
    expect(r.missingOptions).toEqual([{ field: 'Insurance Tier', labels: ['Platinum'] }]);
    expect(r.ambiguousOptions).toEqual([{ field: 'Insurance Tier', label: 'BRONZE', optionIds: [13, 14] }]);
    expect(r.resolved['Insurance Tier']!.optionIds).toEqual({ Gold: 11, PPO: 15 });
    expect(Object.keys(r.resolved)).toEqual(['Insurance Tier']);
    expect(r.complete).toBe(false);
  });

  it('resolves option labels on a field without options as missing', () => {
    expect(resolveOptionIds(null, ['Gold'])).toEqual({ optionIds: {}, missing: ['Gold'], ambiguous: [] });
  });

  it('fetchFieldKeys lists the fields through the client', async () => {
    const listFields = jest.fn().mockResolvedValue(FIELDS);
    const r = await fetchFieldKeys({ listFields }, 'deal', [{ name: 'Dentrix Patient ID' }]);
    expect(listFields).toHaveBeenCalledWith('deal');
    expect(r.resolved['Dentrix Patient ID']!.fieldCode).toBe(hex('a'));
  });
});
