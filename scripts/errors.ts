/** Errors of the developer tools in scripts/ (the README generator). */

/** The README lacks the markers between which a generated section goes. */
export class ReadmeMarkersMissingError extends Error {
  constructor(open: string, close: string) {
    super(`README is missing the markers ${open} ... ${close}`);
    this.name = 'ReadmeMarkersMissingError';
  }
}
