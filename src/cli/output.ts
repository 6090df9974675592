/** CLI output: human lines on stderr-free stdout, or exactly one JSON line with --json. */
export interface Output {
  json: boolean;
  line(text: string): void;
  result(value: object): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    line(text) {
      if (!json) process.stdout.write(text + '\n');
    },
    result(value) {
      if (json) process.stdout.write(JSON.stringify(value) + '\n');
    },
  };
}
