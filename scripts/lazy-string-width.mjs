/**
 * string-width for the bundle, evaluated on its first call instead of at load. Its module builds
 * an Intl.Segmenter and Unicode-property regular expressions when it is loaded, tens of
 * milliseconds of a start; yargs loads it (through cliui) only to lay out help text, which `serve`
 * never prints. esbuild turns the require below into a one-time initialisation of the bundled module.
 */
let width;

export default function stringWidth(text, options) {
  width ??= require('string-width').default;
  return width(text, options);
}
