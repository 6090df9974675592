import { tokenCost, tokenCostEntries } from '@dentrix-pipedrive/pipedrive-spec';
import { tokenCostsFromSpecs } from '../../packages/pipedrive-spec/scripts/gen-token-costs';

describe('token costs from the specs', () => {
  it.each([
    ['v2', 'POST', '/persons', 5],
    ['v2', 'GET', '/persons', 10],
    ['v2', 'DELETE', '/persons/42', 3],
    ['v2', 'GET', '/persons/search', 20],
    ['v2', 'GET', '/persons/42', 1],
    ['v2', 'POST', '/deals/7/products/bulk', 25],
    ['v1', 'POST', '/notes', 10],
    ['v1', 'GET', '/users', 20],
    ['v1', 'POST', '/activityTypes', 10],
  ] as const)('%s %s %s costs %d', (api, method, p, cost) => {
    expect(tokenCost(api, method, p)).toBe(cost);
  });

  it('knows nothing of an operation the specs do not list', () => {
    expect(tokenCost('v2', 'POST', '/no-such-thing')).toBeUndefined();
  });

  it('the committed table is what the pinned specs in packages/pipedrive-spec declare (regenerate with npm run gen:types)', () => {
    expect(tokenCostEntries()).toEqual(tokenCostsFromSpecs());
  });
});
