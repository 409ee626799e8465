import { MorphError } from '../errors.js';

/** A REPO REF FILE group of the commands that build or inspect without a workspace (docs/spec/morph.md 1.7.1). */
export interface Triplet {
  repo: string;
  ref: string;
  /** Path in REPO at REF, `.morph` appended when it has no `/` and lacks the suffix. */
  file: string;
}

/** FILE as docs/spec/morph.md 1.7.1 normalises it: `x` → `x.morph`; paths with `/` unchanged. */
export function normaliseTripletFile(file: string): string {
  return file.includes('/') || file.endsWith('.morph') ? file : `${file}.morph`;
}

/**
 * Splits arguments into REPO REF FILE triplets, before any work.
 * @throws MorphError cli/wrong-arguments (*argument list must have full triplets*)
 */
export function parseTriplets(command: string, args: readonly string[]): Triplet[] {
  if (args.length % 3 !== 0) {
    throw new MorphError(
      'cli',
      'wrong-arguments',
      `morph ${command}: argument list must have full triplets`,
      {
        hint: `give REPO REF FILE for each system (see morph help ${command})`,
      },
    );
  }
  const triplets: Triplet[] = [];
  for (let i = 0; i < args.length; i += 3) {
    triplets.push({
      repo: args[i] as string,
      ref: args[i + 1] as string,
      file: normaliseTripletFile(args[i + 2] as string),
    });
  }
  return triplets;
}
