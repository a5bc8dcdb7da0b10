/** A value JSON can carry: what the state machine passes between states and the build table stores. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
