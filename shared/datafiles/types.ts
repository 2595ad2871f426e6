/**
 * @module
 * ClickHouse column types as data. `parseClickHouseType` turns a type
 * expression from a SCHEMA line into a tree that the DDL generator and the
 * ingest validator both read; `formatClickHouseType` prints it back in one
 * canonical spelling.
 */

export type IntegerTypeName =
  | "Int8" | "Int16" | "Int32" | "Int64" | "Int128" | "Int256"
  | "UInt8" | "UInt16" | "UInt32" | "UInt64" | "UInt128" | "UInt256";

export type DecimalTypeName = "Decimal" | "Decimal32" | "Decimal64" | "Decimal128" | "Decimal256";

export interface IntegerType { kind: "integer"; name: IntegerTypeName; bits: 8 | 16 | 32 | 64 | 128 | 256; signed: boolean }
export interface FloatType { kind: "float"; name: "Float32" | "Float64" | "BFloat16" }
/** `name` keeps the spelling used (`Decimal(18, 4)` vs `Decimal64(4)`); precision is always resolved. */
export interface DecimalType { kind: "decimal"; name: DecimalTypeName; precision: number; scale: number }
export interface StringType { kind: "string" }
export interface FixedStringType { kind: "fixedString"; length: number }
export interface UuidType { kind: "uuid" }
export interface BoolType { kind: "bool" }
export interface DateType { kind: "date" }
export interface Date32Type { kind: "date32" }
export interface DateTimeType { kind: "dateTime"; timezone?: string }
export interface DateTime64Type { kind: "dateTime64"; precision: number; timezone?: string }
export interface IpType { kind: "ipv4" | "ipv6" }
export interface EnumValue { name: string; value: number }
export interface EnumType { kind: "enum"; bits: 8 | 16; values: EnumValue[] }
export interface NullableType { kind: "nullable"; inner: ClickHouseType }
export interface LowCardinalityType { kind: "lowCardinality"; inner: ClickHouseType }
export interface ArrayType { kind: "array"; element: ClickHouseType }
export interface MapType { kind: "map"; key: ClickHouseType; value: ClickHouseType }
export interface TupleElement { name?: string; type: ClickHouseType }
export interface TupleType { kind: "tuple"; elements: TupleElement[] }
export interface NestedType { kind: "nested"; fields: { name: string; type: ClickHouseType }[] }
/** The new JSON type; its optional arguments (`max_dynamic_paths=…`, typed paths) are kept as text. */
export interface JsonType { kind: "json"; args?: string }
export interface DynamicType { kind: "dynamic"; args?: string }
export interface VariantType { kind: "variant"; types: ClickHouseType[] }
/**
 * `AggregateFunction(fn, T…)` / `SimpleAggregateFunction(fn, T)`. `fn` keeps
 * parametric calls as written, e.g. `quantiles(0.5, 0.9)`.
 */
export interface AggregateFunctionType { kind: "aggregateFunction"; simple: boolean; fn: string; args: ClickHouseType[] }

export type ClickHouseType =
  | IntegerType | FloatType | DecimalType | StringType | FixedStringType | UuidType | BoolType
  | DateType | Date32Type | DateTimeType | DateTime64Type | IpType | EnumType
  | NullableType | LowCardinalityType | ArrayType | MapType | TupleType | NestedType
  | JsonType | DynamicType | VariantType | AggregateFunctionType;

export type ParseTypeResult =
  | { ok: true; type: ClickHouseType }
  | { ok: false; message: string; offset: number };

const INTEGER_BITS: Record<IntegerTypeName, IntegerType["bits"]> = {
  Int8: 8, Int16: 16, Int32: 32, Int64: 64, Int128: 128, Int256: 256,
  UInt8: 8, UInt16: 16, UInt32: 32, UInt64: 64, UInt128: 128, UInt256: 256,
};

const DECIMAL_PRECISION: Record<Exclude<DecimalTypeName, "Decimal">, number> = {
  Decimal32: 9, Decimal64: 18, Decimal128: 38, Decimal256: 76,
};

// Names Tinybird refuses even though ClickHouse might take them, with the fix to suggest.
const REJECTED_NAMES: Record<string, string> = {
  Boolean: "`Boolean` is not a valid type; use `Bool` or `UInt8`",
  Int: "`Int` needs a width; use Int8, Int16, Int32, Int64, Int128 or Int256",
  UInt: "`UInt` needs a width; use UInt8, UInt16, UInt32, UInt64, UInt128 or UInt256",
};

type Token =
  | { t: "ident"; v: string; at: number }
  | { t: "number"; v: string; at: number }
  | { t: "string"; v: string; at: number }
  | { t: "punct"; v: "(" | ")" | "," | "="; at: number }
  | { t: "end"; at: number };

class TypeSyntaxError {
  constructor(readonly message: string, readonly offset: number) {}
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === "(" || c === ")" || c === "," || c === "=") { tokens.push({ t: "punct", v: c, at: i }); i++; continue; }
    if (c === "'") {
      let value = "";
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new TypeSyntaxError("unterminated string literal in type", i);
        const d = text[j]!;
        if (d === "\\" && j + 1 < text.length) { value += text[j + 1]; j += 2; continue; }
        if (d === "'") {
          if (text[j + 1] === "'") { value += "'"; j += 2; continue; }
          break;
        }
        value += d;
        j++;
      }
      tokens.push({ t: "string", v: value, at: i });
      i = j + 1;
      continue;
    }
    if (c === "`") {
      const end = text.indexOf("`", i + 1);
      if (end < 0) throw new TypeSyntaxError("unterminated backtick in type", i);
      tokens.push({ t: "ident", v: text.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const num = /^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i));
    if (num && (c !== "+" && c !== "-" || /\d/.test(text[i + 1] ?? ""))) {
      tokens.push({ t: "number", v: num[0], at: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (id) { tokens.push({ t: "ident", v: id[0], at: i }); i += id[0].length; continue; }
    throw new TypeSyntaxError(`unexpected character \`${c}\` in type`, i);
  }
  tokens.push({ t: "end", at: text.length });
  return tokens;
}

class TypeParser {
  private pos = 0;
  constructor(private readonly text: string, private readonly tokens: Token[]) {}

  private peek(): Token { return this.tokens[this.pos]!; }
  private next(): Token { return this.tokens[this.pos++]!; }

  private expectPunct(v: "(" | ")" | "," | "=", what: string): void {
    const tok = this.next();
    if (tok.t !== "punct" || tok.v !== v) throw new TypeSyntaxError(`expected \`${v}\` ${what}`, tok.at);
  }

  private isPunct(v: string): boolean {
    const tok = this.peek();
    return tok.t === "punct" && tok.v === v;
  }

  private expectInt(what: string): number {
    const tok = this.next();
    if (tok.t !== "number" || !/^\d+$/.test(tok.v)) throw new TypeSyntaxError(`expected ${what}`, tok.at);
    return Number(tok.v);
  }

  private expectString(what: string): string {
    const tok = this.next();
    if (tok.t !== "string") throw new TypeSyntaxError(`expected ${what} as a quoted string`, tok.at);
    return tok.v;
  }

  /** Raw text of a balanced argument list, from after `(` up to the matching `)`. */
  private rawUntilClose(): string {
    const start = this.peek().at;
    let depth = 0;
    for (;;) {
      const tok = this.peek();
      if (tok.t === "end") throw new TypeSyntaxError("missing `)` in type", tok.at);
      if (tok.t === "punct" && tok.v === "(") depth++;
      if (tok.t === "punct" && tok.v === ")") {
        if (depth === 0) return this.text.slice(start, tok.at).trim();
        depth--;
      }
      this.pos++;
    }
  }

  parseComplete(): ClickHouseType {
    const type = this.parseType();
    const tok = this.peek();
    if (tok.t !== "end") throw new TypeSyntaxError("unexpected text after type", tok.at);
    return type;
  }

  parseType(): ClickHouseType {
    const tok = this.next();
    if (tok.t !== "ident") throw new TypeSyntaxError("expected a type name", tok.at);
    const name = tok.v;
    const rejected = REJECTED_NAMES[name];
    if (rejected) throw new TypeSyntaxError(rejected, tok.at);
    if (name in INTEGER_BITS) {
      const n = name as IntegerTypeName;
      return { kind: "integer", name: n, bits: INTEGER_BITS[n], signed: !n.startsWith("U") };
    }
    switch (name) {
      case "Float32": case "Float64": case "BFloat16": return { kind: "float", name };
      case "String": return { kind: "string" };
      case "UUID": return { kind: "uuid" };
      case "Bool": return { kind: "bool" };
      case "Date": return { kind: "date" };
      case "Date32": return { kind: "date32" };
      case "IPv4": return { kind: "ipv4" };
      case "IPv6": return { kind: "ipv6" };
      case "FixedString": {
        this.expectPunct("(", "after FixedString");
        const length = this.expectInt("the FixedString length");
        this.expectPunct(")", "after the FixedString length");
        if (length < 1) throw new TypeSyntaxError("FixedString length must be at least 1", tok.at);
        return { kind: "fixedString", length };
      }
      case "Decimal": {
        this.expectPunct("(", "after Decimal: Decimal(P, S)");
        const precision = this.expectInt("the Decimal precision");
        let scale = 0;
        if (this.isPunct(",")) { this.next(); scale = this.expectInt("the Decimal scale"); }
        this.expectPunct(")", "to close Decimal(P, S)");
        if (precision < 1 || precision > 76) throw new TypeSyntaxError("Decimal precision must be between 1 and 76", tok.at);
        if (scale > precision) throw new TypeSyntaxError("Decimal scale must not exceed its precision", tok.at);
        return { kind: "decimal", name: "Decimal", precision, scale };
      }
      case "Decimal32": case "Decimal64": case "Decimal128": case "Decimal256": {
        this.expectPunct("(", `after ${name}: ${name}(S)`);
        const scale = this.expectInt(`the ${name} scale`);
        this.expectPunct(")", `to close ${name}(S)`);
        const precision = DECIMAL_PRECISION[name];
        if (scale > precision) throw new TypeSyntaxError(`${name} scale must be at most ${precision}`, tok.at);
        return { kind: "decimal", name, precision, scale };
      }
      case "DateTime": {
        if (!this.isPunct("(")) return { kind: "dateTime" };
        this.next();
        const timezone = this.expectString("the DateTime timezone");
        this.expectPunct(")", "to close DateTime('timezone')");
        return { kind: "dateTime", timezone };
      }
      case "DateTime64": {
        if (!this.isPunct("(")) throw new TypeSyntaxError("DateTime64 needs a precision, e.g. DateTime64(3)", tok.at);
        this.next();
        const precision = this.expectInt("the DateTime64 precision");
        if (precision > 9) throw new TypeSyntaxError("DateTime64 precision must be between 0 and 9", tok.at);
        let timezone: string | undefined;
        if (this.isPunct(",")) { this.next(); timezone = this.expectString("the DateTime64 timezone"); }
        this.expectPunct(")", "to close DateTime64(precision[, 'timezone'])");
        return timezone === undefined ? { kind: "dateTime64", precision } : { kind: "dateTime64", precision, timezone };
      }
      case "Enum8": case "Enum16": return this.parseEnum(name === "Enum8" ? 8 : 16);
      case "Nullable": return { kind: "nullable", inner: this.parseWrapped("Nullable") };
      case "LowCardinality": return { kind: "lowCardinality", inner: this.parseWrapped("LowCardinality") };
      case "Array": return { kind: "array", element: this.parseWrapped("Array") };
      case "Map": {
        this.expectPunct("(", "after Map: Map(K, V)");
        const key = this.parseType();
        this.expectPunct(",", "between the Map key and value types");
        const value = this.parseType();
        this.expectPunct(")", "to close Map(K, V)");
        return { kind: "map", key, value };
      }
      case "Tuple": {
        this.expectPunct("(", "after Tuple");
        const elements: TupleElement[] = [];
        do {
          if (elements.length > 0) this.next();
          elements.push(this.parseTupleElement());
        } while (this.isPunct(","));
        this.expectPunct(")", "to close Tuple(...)");
        return { kind: "tuple", elements };
      }
      case "Nested": {
        this.expectPunct("(", "after Nested");
        const fields: { name: string; type: ClickHouseType }[] = [];
        do {
          if (fields.length > 0) this.next();
          const fieldName = this.next();
          if (fieldName.t !== "ident") throw new TypeSyntaxError("expected a Nested field name", fieldName.at);
          fields.push({ name: fieldName.v, type: this.parseType() });
        } while (this.isPunct(","));
        this.expectPunct(")", "to close Nested(...)");
        return { kind: "nested", fields };
      }
      case "Variant": {
        this.expectPunct("(", "after Variant");
        const types: ClickHouseType[] = [this.parseType()];
        while (this.isPunct(",")) { this.next(); types.push(this.parseType()); }
        this.expectPunct(")", "to close Variant(...)");
        return { kind: "variant", types };
      }
      case "JSON": case "Dynamic": {
        const kind = name === "JSON" ? "json" : "dynamic";
        if (!this.isPunct("(")) return { kind };
        this.next();
        const args = this.rawUntilClose();
        this.expectPunct(")", `to close ${name}(...)`);
        return args === "" ? { kind } : { kind, args };
      }
      case "AggregateFunction": case "SimpleAggregateFunction": {
        const simple = name === "SimpleAggregateFunction";
        this.expectPunct("(", `after ${name}: ${name}(function, type)`);
        const fnTok = this.next();
        if (fnTok.t !== "ident") throw new TypeSyntaxError(`expected an aggregate function name in ${name}`, fnTok.at);
        let fn = fnTok.v;
        if (this.isPunct("(")) {
          this.next();
          fn = `${fn}(${this.rawUntilClose()})`;
          this.expectPunct(")", "to close the aggregate function parameters");
        }
        const args: ClickHouseType[] = [];
        while (this.isPunct(",")) { this.next(); args.push(this.parseType()); }
        this.expectPunct(")", `to close ${name}(...)`);
        if (simple && args.length !== 1) throw new TypeSyntaxError("SimpleAggregateFunction takes a function and exactly one type", tok.at);
        return { kind: "aggregateFunction", simple, fn, args };
      }
      default:
        throw new TypeSyntaxError(`unknown type \`${name}\``, tok.at);
    }
  }

  private parseWrapped(name: string): ClickHouseType {
    this.expectPunct("(", `after ${name}: ${name}(T)`);
    const inner = this.parseType();
    this.expectPunct(")", `to close ${name}(T)`);
    return inner;
  }

  private parseTupleElement(): TupleElement {
    // A named element is `name Type`; an unnamed one is just `Type`.
    const first = this.peek();
    const second = this.tokens[this.pos + 1];
    if (first.t === "ident" && second?.t === "ident") {
      this.next();
      return { name: first.v, type: this.parseType() };
    }
    return { type: this.parseType() };
  }

  private parseEnum(bits: 8 | 16): EnumType {
    this.expectPunct("(", `after Enum${bits}`);
    const values: EnumValue[] = [];
    let nextValue = 1;
    do {
      if (values.length > 0) this.next();
      const label = this.expectString(`an Enum${bits} label`);
      let value = nextValue;
      if (this.isPunct("=")) {
        this.next();
        const tok = this.next();
        if (tok.t !== "number" || !/^[-+]?\d+$/.test(tok.v)) throw new TypeSyntaxError(`expected an integer value for Enum${bits} label '${label}'`, tok.at);
        value = Number(tok.v);
      }
      const [min, max] = bits === 8 ? [-128, 127] : [-32768, 32767];
      if (value < min || value > max) throw new TypeSyntaxError(`Enum${bits} value ${value} is out of range ${min}..${max}`, this.peek().at);
      values.push({ name: label, value });
      nextValue = value + 1;
    } while (this.isPunct(","));
    this.expectPunct(")", `to close Enum${bits}(...)`);
    return { kind: "enum", bits, values };
  }
}

/** Parses a ClickHouse type expression such as `LowCardinality(Nullable(String))`. */
export function parseClickHouseType(text: string): ParseTypeResult {
  try {
    const type = new TypeParser(text, tokenize(text)).parseComplete();
    return { ok: true, type };
  } catch (error) {
    if (error instanceof TypeSyntaxError) return { ok: false, message: error.message, offset: error.offset };
    throw error;
  }
}

/**
 * A Tuple element or Nested field name as ClickHouse reads it: plain names as
 * they are, anything else back-quoted with `\` and `` ` `` escaped, so a name
 * written in backticks can never end the type early in the DDL.
 */
function typeFieldName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : "`" + name.replace(/\\/g, "\\\\").replace(/`/g, "\\`") + "`";
}

function quoteTypeString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Prints a type in ClickHouse's own canonical spelling. */
export function formatClickHouseType(type: ClickHouseType): string {
  switch (type.kind) {
    case "integer": case "float": return type.name;
    case "decimal": return type.name === "Decimal" ? `Decimal(${type.precision}, ${type.scale})` : `${type.name}(${type.scale})`;
    case "string": return "String";
    case "fixedString": return `FixedString(${type.length})`;
    case "uuid": return "UUID";
    case "bool": return "Bool";
    case "date": return "Date";
    case "date32": return "Date32";
    case "ipv4": return "IPv4";
    case "ipv6": return "IPv6";
    case "dateTime": return type.timezone === undefined ? "DateTime" : `DateTime(${quoteTypeString(type.timezone)})`;
    case "dateTime64": return type.timezone === undefined ? `DateTime64(${type.precision})` : `DateTime64(${type.precision}, ${quoteTypeString(type.timezone)})`;
    case "enum": return `Enum${type.bits}(${type.values.map((v) => `${quoteTypeString(v.name)} = ${v.value}`).join(", ")})`;
    case "nullable": return `Nullable(${formatClickHouseType(type.inner)})`;
    case "lowCardinality": return `LowCardinality(${formatClickHouseType(type.inner)})`;
    case "array": return `Array(${formatClickHouseType(type.element)})`;
    case "map": return `Map(${formatClickHouseType(type.key)}, ${formatClickHouseType(type.value)})`;
    case "tuple": return `Tuple(${type.elements.map((e) => (e.name === undefined ? "" : `${typeFieldName(e.name)} `) + formatClickHouseType(e.type)).join(", ")})`;
    case "nested": return `Nested(${type.fields.map((f) => `${typeFieldName(f.name)} ${formatClickHouseType(f.type)}`).join(", ")})`;
    case "json": return type.args === undefined ? "JSON" : `JSON(${type.args})`;
    case "dynamic": return type.args === undefined ? "Dynamic" : `Dynamic(${type.args})`;
    case "variant": return `Variant(${type.types.map(formatClickHouseType).join(", ")})`;
    case "aggregateFunction":
      return `${type.simple ? "SimpleAggregateFunction" : "AggregateFunction"}(${[type.fn, ...type.args.map(formatClickHouseType)].join(", ")})`;
  }
}

/** True when the column accepts NULL (Nullable, also under LowCardinality). */
export function isNullableType(type: ClickHouseType): boolean {
  if (type.kind === "nullable") return true;
  if (type.kind === "lowCardinality") return isNullableType(type.inner);
  return false;
}
