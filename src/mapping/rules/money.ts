/** Amounts, currencies and prices: rounded, in the practice's currency. */
import { z } from 'zod';
import type { LedgerRow } from '../../dentrix/types';
import { monetary, roundMoney, sumMoney } from '../transforms';
import type { TransformName } from '../transform-names';
import { define, NO_PARAMS, none, number, type RuleWarning, type TransformDef } from './rule';

export const MONEY_TRANSFORMS = {
  money: define({
    params: NO_PARAMS,
    description: 'an amount rounded to cents',
    apply: ({ values }) => {
      const amount = number(values[0]);
      return none(amount === null ? null : roundMoney(amount));
    },
  }),

  monetary: define({
    params: NO_PARAMS,
    description: 'an amount in the practice currency ({value, currency})',
    apply: ({ values, env }) => {
      const amount = number(values[0]);
      return none(amount === null ? null : monetary(amount, env.ctx.currency));
    },
  }),

  currency: define({
    params: NO_PARAMS,
    description: 'the practice currency',
    apply: ({ env }) => none(env.ctx.currency.toUpperCase()),
  }),

  prices: define({
    params: NO_PARAMS,
    description: 'a fee as the product price in the practice currency',
    apply: ({ values, env }) => {
      const fee = number(values[0]);
      return none(fee === null ? null : [{ currency: env.ctx.currency.toUpperCase(), price: roundMoney(fee) }]);
    },
  }),

  procedure_price: define({
    params: NO_PARAMS,
    description: 'the procedure fee as the deal-product item price (else the code default fee, else 0)',
    apply: ({ values }) => {
      const { fee, defaulted } = (values[0] ?? { fee: null, defaulted: true }) as { fee: number | null; defaulted: boolean };
      if (fee === null) {
        return { value: 0, warnings: [{ column: 'fee', code: 'fee_defaulted', reason: 'procedure has no fee and its code no default fee: price 0' }] };
      }
      const warnings: RuleWarning[] = defaulted
        ? [{ column: 'fee', code: 'fee_defaulted', reason: 'procedure has no fee: the procedure code default fee is used' }]
        : [];
      return { value: roundMoney(fee), warnings };
    },
  }),

  ledger_sum: define({
    params: z.object({ entryTypes: z.array(z.string().min(1)).min(1) }).strict(),
    description: 'the sum of the ledger amounts of the given entry types, in the practice currency',
    apply: ({ values, params, env }) => {
      const rows = (values[0] ?? []) as LedgerRow[];
      const types = new Set(params.entryTypes);
      const total = sumMoney(rows.filter((r) => r.entry_type !== null && types.has(r.entry_type)).map((r) => r.amount));
      return none(total === null ? null : monetary(total, env.ctx.currency));
    },
  }),
} satisfies Partial<Record<TransformName, TransformDef<z.ZodType>>>;
