/** Upload progress: a bar on a terminal, plain lines otherwise (logs, CI), nothing for `--json`. */
import cliProgress from 'cli-progress';
import type { PublishProgress } from '../usecases/publishModel.js';

export interface UploadProgress extends PublishProgress {
  stop(): void;
}

export function uploadProgress(
  mode: 'bar' | 'lines' | 'none',
  write: (line: string) => void,
): UploadProgress {
  if (mode === 'none') return { stop: () => undefined };
  if (mode === 'lines') {
    return {
      onFile: (path, index, count) => {
        write(`uploading ${path} (${index + 1}/${count})`);
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: '{bar} {percentage}% | {value}/{total} bytes | {file}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let file = '';
  return {
    onFile: (path, index, count) => {
      file = `${path} (${index + 1}/${count})`;
      if (started) bar.update({ file });
    },
    onBytes: (uploaded, total) => {
      if (!started) {
        bar.start(Math.max(total, 1), 0, { file });
        started = true;
      }
      bar.update(uploaded, { file });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
