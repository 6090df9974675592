/** The practice sizes the generator knows and the options a generation takes. */
import { type DirtRates } from './truth';

export type PracticeProfile = 'demo' | 'small' | 'medium' | 'large';

export interface ProfileSpec {
  patients: number;
  historyYears: number;
  dentists: number;
  hygienists: number;
  specialists: number;
  assistants: number;
  carriers: number;
  operatories: number;
}

/** Sizes per profile (reference/dentrix-and-peers.md A7); `large` comes to about two million rows in all. */
export const PROFILES: Record<PracticeProfile, ProfileSpec> = {
  demo: { patients: 150, historyYears: 6, dentists: 2, hygienists: 2, specialists: 1, assistants: 1, carriers: 8, operatories: 4 },
  small: { patients: 3_000, historyYears: 10, dentists: 2, hygienists: 3, specialists: 1, assistants: 2, carriers: 25, operatories: 6 },
  medium: { patients: 20_000, historyYears: 10, dentists: 5, hygienists: 8, specialists: 2, assistants: 4, carriers: 60, operatories: 10 },
  large: { patients: 26_000, historyYears: 12, dentists: 20, hygienists: 35, specialists: 6, assistants: 10, carriers: 150, operatories: 40 },
};

export interface PracticeGenerationOptions {
  profile: PracticeProfile;
  seed: number;
  dateFormat?: 'iso' | 'us';
  /** Overrides of the default dirt rates (truth.ts). */
  dirt?: Partial<DirtRates>;
  /** Overrides the profile's patient count (small custom practices for tests). */
  patients?: number;
  /** The generator's "today" (ISO date); fixed so the same seed gives the same bytes on any day. */
  extractDate?: string;
  /** The practice's ISO 4217 currency (default USD): amounts stay the same numbers, in this currency. */
  currency?: string;
}

/** The extract's date when the options name none: the synthetic practice's history ends the day before. */
export const DEFAULT_EXTRACT_DATE = '2026-11-20';
