/** The message Sigilo signs for a crypto-shred: the key ring signs it, the shred journal verifies it. */
export function shredMessage(subjectId: string, at: string, reason: string): Buffer {
  return Buffer.from(`sigilo/shred/v1|${subjectId}|${at}|${reason}`);
}
