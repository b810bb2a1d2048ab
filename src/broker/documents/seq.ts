// Broker (documents): the checks every store makes of a compaction's `throughSeq` (see DocumentStore.compact).

/**
 * Refuses a `throughSeq` that is not a sequence number.
 * @throws RangeError when it is not a non-negative safe integer
 */
export function checkThroughSeq(throughSeq: number): void {
  if (!Number.isSafeInteger(throughSeq) || throughSeq < 0) {
    throw new RangeError(`Cannot compact: throughSeq "${throughSeq}" is not a non-negative integer`);
  }
}

/** The error of a compaction through an update that was never appended: a caller's miscount, refused, not guessed. */
export function beyondLast(name: string, throughSeq: number, last: number): RangeError {
  return new RangeError(
    `Cannot compact document ${JSON.stringify(name)} through update ${throughSeq}: its last update is ${last}`,
  );
}
