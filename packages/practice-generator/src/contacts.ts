/** People's names, phone numbers and e-mail addresses, and their malformed variants (dirt the audit must catch). */
import { ACCENTED_FIRST_NAMES, ACCENTED_LAST_NAMES } from './vocabulary';
import { slug } from './formats';
import { PracticeState } from './state';

/** The e-mail domains people's addresses are drawn from. */
export const EMAIL_DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'aol.com', 'comcast.net', 'hotmail.com'];

export abstract class PracticeContacts extends PracticeState {
  protected phone(): string {
    const r = this.random;
    const area = r.pick(this.areaCodes);
    const exchange = this.exchange();
    const line = r.digits(4);
    switch (r.int(0, 7)) {
      case 0:
      case 1:
        return `(${area}) ${exchange}-${line}`;
      case 2:
        return `${area}-${exchange}-${line}`;
      case 3:
        return `${area}.${exchange}.${line}`;
      case 4:
        return `${area}${exchange}${line}`;
      case 5:
        return `${area} ${exchange} ${line}`;
      case 6:
        return `+1 ${area}-${exchange}-${line}`;
      default:
        return `${area}-${exchange}-${line} x${r.int(1, 99)}`;
    }
  }

  /** A central-office code in service: 2–9 first, never N11 (211, 311 … 911 are service codes). */
  protected exchange(): string {
    const code = this.random.int(201, 989);
    return String(code % 100 === 11 ? code + 1 : code);
  }

  protected malformedPhone(): { value: string; kind: string } {
    const r = this.random;
    const area = r.pick(this.areaCodes);
    const exchange = String(r.int(201, 989));
    const line = r.digits(4);
    switch (this.samplers.malformed_phone.injected % 3) {
      case 0:
        return { value: `${area}-${exchange}-${line.slice(0, 2)}`, kind: 'too_few_digits' };
      case 1:
        return { value: `(${area}) ${exchange}-${line}${r.int(0, 9)}`, kind: 'too_many_digits' };
      default:
        return { value: `${area}-${exchange}-${line.slice(0, 2)}O${line.slice(3)}`, kind: 'letter_for_digit' };
    }
  }

  protected malformedEmail(email: string): { value: string; kind: string } {
    const [local = '', domain = ''] = email.split('@');
    switch (this.samplers.malformed_email.injected % 3) {
      case 0:
        return { value: `${local} @${domain} `, kind: 'spaces' };
      case 1:
        return { value: `${local.charAt(0).toUpperCase()}${local.slice(1)}@${domain.toUpperCase()}`, kind: 'upper_case' };
      default:
        return { value: `${local}.${domain}`, kind: 'missing_at' };
    }
  }

  protected firstName(sex: 'male' | 'female'): string {
    return this.random.chance(0.06) ? this.random.pick(ACCENTED_FIRST_NAMES) : this.faker.person.firstName(sex);
  }

  protected lastName(): string {
    return this.random.chance(0.07) ? this.random.pick(ACCENTED_LAST_NAMES) : this.faker.person.lastName();
  }

  protected email(first: string, last: string): string {
    return `${slug(first)}.${slug(last)}${this.random.int(1, 999)}@${this.random.pick(EMAIL_DOMAINS)}`;
  }
}
