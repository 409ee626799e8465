import type { ScalarTag, Tags } from 'yaml';

/*
 * PyYAML's safe_load resolves plain scalars with its own YAML 1.1 regexes,
 * which differ from the `yaml` package's `yaml-1.1` schema in ways that
 * matter for definitions: `y`/`n` stay strings, `09` and `1e5` stay strings
 * (git refs can look like that), and timestamps are not converted. These
 * tags reproduce PyYAML's resolver; everything else (null, binary, sets,
 * merge keys) is the package's own 1.1 tags.
 */

const TAG_BOOL = 'tag:yaml.org,2002:bool';
const TAG_INT = 'tag:yaml.org,2002:int';
const TAG_FLOAT = 'tag:yaml.org,2002:float';
const TAG_TIMESTAMP = 'tag:yaml.org,2002:timestamp';

const pyTrue: ScalarTag = {
  identify: (value) => value === true,
  default: true,
  tag: TAG_BOOL,
  test: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/,
  resolve: () => true,
  stringify: () => 'true',
};

const pyFalse: ScalarTag = {
  identify: (value) => value === false,
  default: true,
  tag: TAG_BOOL,
  test: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/,
  resolve: () => false,
  stringify: () => 'false',
};

/** Parses a PyYAML int literal (binary, octal, decimal, hex or sexagesimal). */
function parsePyInt(source: string): number {
  let text = source.replace(/_/g, '');
  let sign = 1;
  if (text.startsWith('-') || text.startsWith('+')) {
    if (text.startsWith('-')) sign = -1;
    text = text.slice(1);
  }
  if (text === '0') return 0;
  if (text.startsWith('0b')) return sign * Number.parseInt(text.slice(2), 2);
  if (text.startsWith('0x')) return sign * Number.parseInt(text.slice(2), 16);
  if (text.startsWith('0')) return sign * Number.parseInt(text.slice(1), 8);
  if (text.includes(':')) {
    let value = 0;
    for (const digit of text.split(':')) value = value * 60 + Number.parseInt(digit, 10);
    return sign * value;
  }
  return sign * Number.parseInt(text, 10);
}

const pyInt: ScalarTag = {
  identify: (value) => typeof value === 'number' && Number.isInteger(value),
  default: true,
  tag: TAG_INT,
  test: /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  resolve: (source) => parsePyInt(source),
  stringify: ({ value }) => String(value),
};

/** Parses a PyYAML float literal (with a dot, optional signed exponent, or sexagesimal). */
function parsePyFloat(source: string): number {
  const text = source.replace(/_/g, '');
  if (!text.includes(':')) return Number.parseFloat(text);
  const negative = text.startsWith('-');
  let value = 0;
  for (const part of text.replace(/^[-+]/, '').split(':')) value = value * 60 + Number.parseFloat(part);
  return negative ? -value : value;
}

const pyFloat: ScalarTag = {
  identify: (value) => typeof value === 'number' && !Number.isInteger(value) && Number.isFinite(value),
  default: true,
  tag: TAG_FLOAT,
  test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*)$/,
  resolve: (source) => parsePyFloat(source),
  stringify: ({ value }) => {
    const text = String(value);
    // Keep a dot so that the value reads back as a float, not an int.
    return /[.eEn]/.test(text) ? text : `${text}.0`;
  },
};

/**
 * The `customTags` hook for the `yaml` package's `yaml-1.1` schema that
 * makes it resolve plain scalars as PyYAML's safe_load does.
 */
export function pyyamlTags(tags: Tags): Tags {
  const kept = tags.filter((tag) => {
    const id = typeof tag === 'string' ? tag : tag.tag;
    if (id === TAG_BOOL || id === TAG_INT || id === TAG_TIMESTAMP) return false;
    // Keep only the NaN/infinity float tag; the others are replaced below.
    if (id === TAG_FLOAT && typeof tag !== 'string') return 'test' in tag && /inf/.test(String(tag.test));
    return true;
  });
  return [pyTrue, pyFalse, pyInt, pyFloat, ...kept];
}
