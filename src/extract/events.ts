// Progress events the extraction emits; the CLI renders them (bar on a TTY), tests ignore them.

export interface ProgressEvent {
  phase: string;
  /** Work done / total in this phase, when known. */
  done?: number;
  total?: number;
  message?: string;
  queries: number;
}

export type ProgressSink = (e: ProgressEvent) => void;
