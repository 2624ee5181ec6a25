/**
 * Types for the `espeak-ng` npm package (eSpeak NG compiled to WebAssembly with Emscripten, an ES
 * module factory). Only what Kadr uses is declared.
 */
declare module "espeak-ng" {
  /** The Emscripten in-memory file system of one instance. */
  export interface ESpeakNgFS {
    readFile(path: string): Uint8Array;
    readFile(path: string, opts: { encoding: "utf8" }): string;
    writeFile(path: string, data: string | Uint8Array): void;
    analyzePath(path: string): { exists: boolean };
  }

  /** One instance; `main()` has already run with `arguments` when the factory resolves. */
  export interface ESpeakNgModule {
    FS: ESpeakNgFS;
  }

  /** Emscripten module options. */
  export interface ESpeakNgOptions {
    /** Command-line arguments of the `espeak-ng` program (without the program name). */
    arguments?: string[];
    /** stdout line sink (default console.log). */
    print?: (line: string) => void;
    /** stderr line sink (default console.error). */
    printErr?: (line: string) => void;
    /** Run before `main()`; the instance's FS is ready. */
    preRun?: Array<(module: ESpeakNgModule) => void>;
    /** Custom instantiation (e.g. from a cached `WebAssembly.Module`); returns `{}` when asynchronous. */
    instantiateWasm?: (
      imports: WebAssembly.Imports,
      receiveInstance: (instance: WebAssembly.Instance) => void,
    ) => WebAssembly.Exports | Record<string, never>;
  }

  /** Creates an instance, runs `espeak-ng` with `options.arguments` and resolves when it has finished. */
  export default function ESpeakNg(options?: ESpeakNgOptions): Promise<ESpeakNgModule>;
}
