import { config } from 'zod/mini';

/**
 * zod as the config modules use it: the functional build (zod/mini), whose schemas are plain
 * objects without the classic build's dozens of methods bound per schema, so building the whole
 * config schema at every start costs a fraction; and no compiled fast path (a generated function
 * per object schema, made on its first parse), which costs more to generate than it saves on the
 * one parse per start or reload. Each schema reads the setting when made, so every module here
 * that builds a schema imports this module before zod.
 */
config({ jitless: true });
