/** Types of scripts/mutation-targets.mjs, for test/scripts/mutation-targets.test.ts. */
export declare const TARGETS: Readonly<
  Record<string, readonly string[] | { readonly ranges: readonly string[]; readonly tests: readonly string[] }>
>;
export declare function markedRanges(text: string, file?: string): Map<string, string>;
export declare function resolve(
  arg: string,
  read?: (file: string) => string,
): { name: string; mutate: string[]; tests: readonly string[] } | undefined;
