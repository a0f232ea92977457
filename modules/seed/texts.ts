import type { Random } from './random.js';

/**
 * Words for demo text. Every name is invented and marked so: seeded records must never look like a real
 * person's file, and a screenshot of a demo must say what it is.
 */
const GIVEN = ['Amani', 'Nadia', 'Grace', 'Fatima', 'Rosa', 'Leila', 'Mariam', 'Esther', 'Joy', 'Aisha', 'Sara', 'Halima', 'Ruth', 'Zainab', 'Neema', 'Imani', 'Baraka', 'Samuel', 'Yusuf', 'Daniel', 'Omar', 'Peter', 'Ali', 'John'];
const FAMILY = ['Achieng', 'Bakari', 'Deng', 'Hassan', 'Kamau', 'Lual', 'Mensah', 'Nyong', 'Okello', 'Said', 'Tesfaye', 'Wanjiru', 'Yohannes', 'Abdi', 'Malik', 'Garang'];

const SUBJECTS = ['The client', 'The survivor', 'The child', 'The caregiver', 'The family', 'A community volunteer'];
const VERBS = ['reports', 'explains', 'says', 'shares', 'confirms', 'describes'];
const CLAUSES = [
  'that the situation at home has been tense for several weeks',
  'that she feels safer since the last visit',
  'that the family moved to another block of the camp',
  'that she would like to be accompanied to the health centre',
  'that school attendance has been irregular',
  'that the referral was helpful and she wants to continue',
  'concerns about money for food and rent',
  'that a relative is willing to provide temporary shelter',
  'that she has not told anyone else yet',
  'that the next appointment suits her',
];

export function personName(rng: Random): string {
  return `${rng.pick(GIVEN)} ${rng.pick(FAMILY)} (fictional)`;
}

export function givenName(rng: Random): string {
  return rng.pick(GIVEN);
}

export function familyName(rng: Random): string {
  return rng.pick(FAMILY);
}

/** One or a few sentences of case-note prose, at most `maxLength` characters. */
export function prose(rng: Random, sentences = rng.int(1, 3), maxLength = 1000): string {
  const parts: string[] = [];
  for (let i = 0; i < sentences; i++) parts.push(`${rng.pick(SUBJECTS)} ${rng.pick(VERBS)} ${rng.pick(CLAUSES)}.`);
  const text = `${parts.join(' ')} (demo data)`;
  return text.length <= maxLength ? text : text.slice(0, maxLength);
}

/** A short label-like text (provider, location, organisation). */
export function shortText(rng: Random, maxLength = 100): string {
  const text = `${rng.pick(['Camp', 'Zone', 'Block', 'Centre', 'Clinic', 'Office', 'Desk'])} ${rng.int(1, 12)}, ${rng.pick(['north', 'south', 'east', 'west', 'main'])} (demo)`;
  return text.slice(0, maxLength);
}

export function phoneNumber(rng: Random): string {
  return `+000 ${rng.int(100, 999)} ${rng.int(100, 999)} ${rng.int(100, 999)}`;
}

export function timeOfDay(rng: Random): string {
  return `${String(rng.int(8, 17)).padStart(2, '0')}:${rng.pick(['00', '15', '30', '45'])}`;
}
