import { singleChoiceFieldType } from './select.js';

export const radioField = singleChoiceFieldType('radio');
