import { InvalidRunSpecError } from '../../../core/target/errors.ts';
import type { RunSpec } from '../../../core/target/port.ts';

/** Quotes a value for a POSIX shell: the only safe way to put pipe-supplied text in a script. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface BuilderScriptInput {
  readonly service: string;
  /** s3:// URIs of tar.gz artifacts, extracted in order (later files replace earlier ones). */
  readonly artifacts: readonly string[];
  readonly run: RunSpec;
  readonly port: number;
}

/**
 * User data of the builder instance. Bake design: the builder boots the base AMI, fetches the service
 * artifact (and overlays) the build step uploaded for this commit, installs a systemd unit that starts
 * the service with PORT set, cleans cloud-init so instances from the image boot fresh, and powers off.
 * The target waits for `stopped` and then images the stopped instance (a consistent disk, no reboot).
 * A failing script leaves the builder running, so the bake times out instead of imaging a broken disk.
 */
export function builderUserData(input: BuilderScriptInput): string {
  const command = input.run.command ?? '';
  if (/[\r\n]/.test(command) || command.trim() === '') {
    throw new InvalidRunSpecError('run.command must be one non-empty line');
  }
  const unit = `vouch-${input.service}.service`;
  const fetches = input.artifacts
    .map((uri) => `aws s3 cp ${shellQuote(uri)} - | tar -xz -C /opt/vouch/app`)
    .join('\n');
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    'mkdir -p /opt/vouch/app',
    fetches,
    // The command goes to a file through a quoted heredoc: no shell or systemd quoting rules apply to it.
    "cat > /opt/vouch/start.sh <<'START'",
    command,
    'START',
    `cat > /etc/systemd/system/${unit} <<'UNIT'`,
    '[Unit]',
    `Description=${input.service} (baked by Vouch)`,
    'After=network-online.target',
    '[Service]',
    'WorkingDirectory=/opt/vouch/app',
    `Environment=PORT=${input.port}`,
    // systemd does not run a shell: sh lets the command be written as in .vouch.yml.
    'ExecStart=/bin/sh /opt/vouch/start.sh',
    'Restart=always',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    `systemctl enable ${unit}`,
    'cloud-init clean --logs',
    'shutdown -h now',
    '',
  ].join('\n');
}
