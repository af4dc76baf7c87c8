// Methods by name (tissue detectors, box methods, label rules, losses, backbones): lookup with an
// "expected one of ..." error, recipes read against each method's parameter specs, and --help listings.
import {
  describeParams,
  readRecipeParams,
  resolveParams,
  splitRecipe,
  USAGE_WORDING,
  wrap,
  type ParamContext,
  type ParamSpecs,
  type Params,
  type RecipeWording,
} from './recipe';

/** What a registry holds: a named method, what it does (one line for --help) and its parameters. */
export interface Definition {
  readonly name: string;
  readonly description: string;
  readonly params?: ParamSpecs;
}

export interface RegistryOptions {
  /** Where names come from, for errors: a flag (`--method`) or a library's word (`tissue detection`). */
  what: string;
  /** How errors read; the house wording (usage errors, "expected X, got Y") by default. */
  wording?: RecipeWording;
}

export interface Chosen<D extends Definition> {
  def: D;
  params: Params;
}

export class Registry<D extends Definition> {
  readonly what: string;
  readonly wording: RecipeWording;
  readonly definitions: readonly D[];

  constructor(definitions: readonly D[], options: RegistryOptions) {
    const names = definitions.map((d) => d.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) throw new Error(`registry ${options.what}: "${twice}" is registered twice`);
    this.definitions = definitions;
    this.what = options.what;
    this.wording = options.wording ?? USAGE_WORDING;
  }

  get names(): string[] {
    return this.definitions.map((d) => d.name);
  }

  find(name: unknown): D | undefined {
    return this.definitions.find((d) => d.name === name);
  }

  /** The method called `name`; an unknown name is an error listing the known ones. */
  get(name: unknown, what = this.what): D {
    const def = this.find(name);
    if (!def) throw this.wording.error(what, { kind: 'unknown-name', name, known: this.names });
    return def;
  }

  /** A recipe `name[:key=value,...]`: its method and the values it gives, typed and checked, no defaults. */
  parse(recipe: string, what = this.what): { def: D; given: Params } {
    const { name, body } = splitRecipe(recipe);
    const def = this.get(name, what);
    return { def, given: readRecipeParams(this.context(def, what), def.params ?? {}, body) };
  }

  /** A recipe's method and all its parameters, defaults filled in: what provenance records. */
  resolve(recipe: string, what = this.what): Chosen<D> {
    const { def, given } = this.parse(recipe, what);
    return { def, params: this.params(def, given, what) };
  }

  /** Typed values (e.g. from an API caller) for `def`, checked and completed with defaults. */
  params(def: D, given: unknown, what = this.what): Params {
    return resolveParams(this.context(def, what), def.params ?? {}, given);
  }

  /** Each method with its description and parameters, for --help. */
  help(): string {
    return this.definitions
      .map((d) => {
        const head = wrap(d.description, `  ${d.name}: `, '    ');
        const params = describeParams(d.params ?? {}, '    ', this.wording.quoteChoices);
        return params ? `${head}\n${params}` : head;
      })
      .join('\n');
  }

  private context(def: D, what: string): ParamContext {
    return { what, name: def.name, wording: this.wording };
  }
}
