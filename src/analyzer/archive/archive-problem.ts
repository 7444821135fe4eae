/** Something wrong with an archive; each becomes an `analysis-error` finding (fail closed). */
export interface ArchiveProblem {
  /** Entry path the problem is about, or null for the archive as a whole. */
  path: string | null;
  /** One sentence, without the artifact name (the caller adds it). */
  message: string;
}

/** Thrown inside a reader to stop reading; carries the sentence for the finding. */
export class ArchiveAbort extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveAbort';
  }
}
