/**
 * @module
 * Per-type value coercion for ingest. `compileCoercer(type)` turns a parsed
 * ClickHouse type into a function from a JSON value to the value to send to
 * ClickHouse in JSONEachRow, or `FAIL`. Output values are chosen so that
 * ClickHouse parses them into exactly the validated value whatever its input
 * settings (64-bit+ integers and decimals as strings, dates in one canonical
 * spelling, instants with an offset as unix time).
 *
 * A coercer returns its input unchanged (`===`) when the input already is the
 * canonical form; the row validator uses that to forward original lines as-is.
 *
 * @example
 * const c = compileCoercer({ kind: "integer", name: "UInt8", bits: 8, signed: false });
 * c(255); // 255
 * c("7"); // 7
 * c(256); // FAIL
 */
import type { ClickHouseType, DecimalType, EnumType, TupleType } from "../datafiles/types.js";

export const FAIL: unique symbol = Symbol("fail");
export type Fail = typeof FAIL;
export type Coercer = (value: unknown) => unknown;

/**
 * Side channel of the current row, reset by the row validator:
 * `lossy` — a JSON number whose exact digits JSON.parse may have lost (the row
 * is re-parsed losslessly); `intNumber` — a JSON number was accepted where
 * ClickHouse only reads integer syntax (`1.0`/`1e2` would fail there), so an
 * original line may only be forwarded after checking its text; `rewrite` —
 * the original text would not read back as the validated value (`-0` for an
 * unsigned type, which ClickHouse refuses), so the row must be re-serialized;
 * `reason` — why the last FAIL failed, when the type name alone does not say
 * it (appended to the quarantine message).
 */
export const coerceState = { lossy: false, intNumber: false, rewrite: false, reason: null as string | null };

/** Fails with a reason the quarantine message will carry. */
function failBecause(reason: string): Fail {
  coerceState.reason = reason;
  return FAIL;
}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const FLOAT32_MAX = 3.4028234663852886e38;

export function compileCoercer(type: ClickHouseType): Coercer {
  switch (type.kind) {
    case "integer": return type.bits <= 32 ? smallInt(type.bits, type.signed) : bigInt(type.bits, type.signed);
    case "float": return float(type.name !== "Float64");
    case "decimal": return decimal(type);
    case "bool": return bool;
    case "string": return string;
    case "fixedString": return fixedString(type.length);
    case "uuid": return uuid;
    case "date": return date(false);
    case "date32": return date(true);
    case "dateTime": return dateTime(null, type.timezone);
    case "dateTime64": return dateTime(type.precision, type.timezone);
    case "ipv4": return ipv4;
    case "ipv6": return ipv6;
    case "enum": return enumCoercer(type);
    case "nullable": {
      const inner = compileCoercer(type.inner);
      return (v) => (v === null ? null : inner(v));
    }
    case "lowCardinality": return compileCoercer(type.inner);
    case "array": return array(compileCoercer(type.element));
    case "map": return isBoolKey(type.key) ? boolKeyedMap(compileCoercer(type.value)) : map(compileCoercer(type.key), compileCoercer(type.value));
    case "tuple": return tuple(type);
    case "json": return json;
    case "dynamic": return dynamic;
    case "variant": {
      const options = type.types.map(compileCoercer);
      return (v) => {
        for (const c of options) {
          const r = c(v);
          if (r !== FAIL) { coerceState.reason = null; return r; }
        }
        return FAIL;
      };
    }
    case "aggregateFunction":
      // SimpleAggregateFunction(f, T) stores plain T; AggregateFunction states cannot come from JSON.
      return type.simple && type.args[0] ? compileCoercer(type.args[0]) : () => FAIL;
    case "nested": return () => FAIL;
  }
}

// ------------------------------------------------------------------ numbers

function smallInt(bits: number, signed: boolean): Coercer {
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return (v) => {
    if (typeof v === "number") {
      if (!Number.isInteger(v) || v < min || v > max) return FAIL;
      coerceState.intNumber = true;
      // ClickHouse refuses the text `-0` for unsigned types; `v + 0` is 0 but `=== v`.
      if (v === 0 && 1 / v < 0) coerceState.rewrite = true;
      return v + 0;
    }
    if (typeof v === "string") {
      if (!INT_RE.test(v)) return FAIL;
      const n = Number(v);
      return n >= min && n <= max ? n + 0 : FAIL;
    }
    if (typeof v === "boolean") return v ? 1 : 0;
    return FAIL;
  };
}

function bigInt(bits: number, signed: boolean): Coercer {
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  return (v) => {
    if (typeof v === "number") {
      if (!Number.isInteger(v)) return FAIL;
      if (!Number.isSafeInteger(v)) { coerceState.lossy = true; return v; }
      if (!signed && v < 0) return FAIL;
      coerceState.intNumber = true;
      if (v === 0 && 1 / v < 0) { coerceState.rewrite = true; return 0; }
      return v;
    }
    if (typeof v === "string") {
      if (!INT_RE.test(v)) return FAIL;
      const n = BigInt(v);
      if (n < min || n > max) return FAIL;
      const canonical = n.toString();
      return canonical === v ? v : canonical;
    }
    if (typeof v === "boolean") return v ? 1 : 0;
    return FAIL;
  };
}

function float(is32: boolean): Coercer {
  return (v) => {
    if (typeof v === "number") {
      // `1e309` parses to Infinity: ClickHouse would store inf (and JSON.stringify writes null).
      if (!Number.isFinite(v)) return FAIL;
      return is32 && Math.abs(v) > FLOAT32_MAX ? FAIL : v;
    }
    if (typeof v === "string") {
      if (FLOAT_RE.test(v)) {
        const n = Number(v);
        if (!Number.isFinite(n) || (is32 && Math.abs(n) > FLOAT32_MAX)) return FAIL;
        return n;
      }
      switch (v.toLowerCase()) {
        case "inf": case "+inf": case "infinity": case "+infinity": return "inf";
        case "-inf": case "-infinity": return "-inf";
        case "nan": case "+nan": case "-nan": return "nan";
      }
    }
    return FAIL;
  };
}

const PLAIN_DECIMAL_RE = /^-?\d+(?:\.(\d+))?$/;
const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Canonical decimal text of `text` at `scale` (extra digits truncated, as ClickHouse does), or FAIL. */
export function decimalText(text: string, precision: number, scale: number): string | Fail {
  const m = DECIMAL_RE.exec(text);
  if (!m) return FAIL;
  const intPart = m[2] ?? "";
  const fracPart = m[3] ?? "";
  if (intPart === "" && fracPart === "") return FAIL;
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isFinite(exp) || Math.abs(exp) > 1000) return FAIL;
  let digits = intPart + fracPart;
  let point = intPart.length + exp; // decimal point position within digits
  if (point < 0) { digits = "0".repeat(-point) + digits; point = 0; }
  if (point > digits.length) { digits += "0".repeat(point - digits.length); }
  const whole = digits.slice(0, point).replace(/^0+/, "");
  const frac = digits.slice(point, point + scale).padEnd(scale, "0");
  if (whole.length > precision - scale) return FAIL;
  const negative = m[1] === "-" && /[1-9]/.test(whole + frac);
  const body = (whole === "" ? "0" : whole) + (scale > 0 ? "." + frac : "");
  return negative ? "-" + body : body;
}

/**
 * Fast path of `decimal` for strings: `-?\d+(\.\d+)?` with at most `scale`
 * fraction digits and at most `precision - scale` integer digits (leading
 * zeros aside) is valid and stays as sent (the general path gives the same).
 */
function isPlainDecimalAsSent(v: string, precision: number, scale: number): boolean {
  const n = v.length;
  let i = v.charCodeAt(0) === 45 ? 1 : 0;
  while (i < n && v.charCodeAt(i) === 48) i++; // leading zeros
  const wholeStart = i;
  while (i < n && isDigit(v.charCodeAt(i))) i++;
  if (i === (v.charCodeAt(0) === 45 ? 1 : 0)) return false; // no integer digit at all
  if (i - wholeStart > precision - scale) return false;
  if (i === n) return true;
  if (v.charCodeAt(i) !== 46) return false;
  const fracStart = ++i;
  while (i < n && isDigit(v.charCodeAt(i))) i++;
  return i === n && i > fracStart && i - fracStart <= scale;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function decimal(type: DecimalType): Coercer {
  const { precision, scale } = type;
  return (v) => {
    if (typeof v === "number") {
      const text = String(v);
      // Doubles keep ~15 significant digits; longer values need the line's own digits.
      if (text.replace(/^-|\.|e.*$/g, "").replace(/^0+/, "").length > 15) coerceState.lossy = true;
      return decimalText(text, precision, scale);
    }
    if (typeof v === "string") {
      if (isPlainDecimalAsSent(v, precision, scale)) return v;
      const r = decimalText(v, precision, scale);
      if (r === FAIL || r === v) return r;
      // Plain text that ClickHouse reads exactly (no exponent, nothing truncated) stays as sent.
      const m = PLAIN_DECIMAL_RE.exec(v);
      return m !== null && (m[1] ?? "").length <= scale ? v : r;
    }
    return FAIL;
  };
}

// ---------------------------------------------------------------- scalars

const bool: Coercer = (v) => {
  if (typeof v === "boolean") return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === "string") {
    switch (v.toLowerCase()) {
      case "true": case "1": return true;
      case "false": case "0": return false;
    }
  }
  return FAIL;
};

const string: Coercer = (v) => {
  if (typeof v === "string") return v;
  if (typeof v === "number") {
    // ClickHouse keeps a number's text; past 2^53 or with a fraction only the line has it exactly.
    if (!Number.isSafeInteger(v)) coerceState.lossy = true;
    return String(v);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v !== null && typeof v === "object") return JSON.stringify(v);
  return FAIL;
};

/** UTF-8 byte length without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) { n += 4; i++; }
    else n += 3;
  }
  return n;
}

function fixedString(length: number): Coercer {
  return (v) => {
    const s = typeof v === "string" ? v : typeof v === "number" && Number.isSafeInteger(v) ? String(v) : null;
    if (s === null) return FAIL;
    if (s.length * 3 <= length || utf8Length(s) <= length) return s === v ? v : s;
    return FAIL;
  };
}

const UUID_RE = /^\{?([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{12})\}?$/;

/** Already canonical: lowercase, dashed, no braces. */
function isCanonicalUuid(v: string): boolean {
  if (v.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = v.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) { if (c !== 45) return false; }
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

const uuid: Coercer = (v) => {
  if (typeof v !== "string") return FAIL;
  if (isCanonicalUuid(v)) return v;
  const m = UUID_RE.exec(v);
  if (!m || (v[0] === "{") !== (v[v.length - 1] === "}")) return FAIL;
  const canonical = `${m[1]}-${m[2]}-${m[3]}-${m[4]}-${m[5]}`.toLowerCase();
  return canonical === v ? v : canonical;
};

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

const ipv4: Coercer = (v) => {
  if (typeof v === "string") return IPV4_RE.test(v) ? v : FAIL;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) {
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  return FAIL;
};

export function isIpv6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  let head = s;
  let v4 = false;
  const lastColon = s.lastIndexOf(":");
  if (lastColon >= 0 && s.indexOf(".", lastColon) > 0) {
    if (!IPV4_RE.test(s.slice(lastColon + 1))) return false;
    head = s.slice(0, lastColon + 1) + "0:0";
    v4 = true;
  }
  const halves = head.split("::");
  if (halves.length > 2) return false;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  for (const g of [...left, ...right]) if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
  const count = left.length + right.length;
  void v4;
  return halves.length === 2 ? count <= 7 : count === 8;
}

const ipv6: Coercer = (v) => {
  if (typeof v !== "string") return FAIL;
  return IPV4_RE.test(v) || isIpv6(v) ? v : FAIL;
};

function enumCoercer(type: EnumType): Coercer {
  const names = new Set(type.values.map((e) => e.name));
  const byValue = new Map(type.values.map((e) => [e.value, e.name] as const));
  return (v) => {
    if (typeof v === "string") {
      if (names.has(v)) return v;
      if (INT_RE.test(v)) return byValue.get(Number(v)) ?? FAIL;
      return FAIL;
    }
    if (typeof v === "number") return byValue.get(v) ?? FAIL;
    return FAIL;
  };
}

// ------------------------------------------------------------------ dates

const DAY_MS = 86_400_000;
const DATE_MIN = 0; // 1970-01-01
const DATE_MAX = 65_535; // 2149-06-06
const DATE32_MIN = -25_567; // 1900-01-01
const DATE32_MAX = 120_529; // 2299-12-31
const DATETIME_MAX = 4_294_967_295; // 2106-02-07 06:28:15 UTC
const DT64_MIN = -2_208_988_800; // 1900-01-01 00:00:00 UTC
const DT64_MAX = 10_413_791_999; // 2299-12-31 23:59:59 UTC
const DT64_9_MAX = 9_223_372_035; // 2262-04-11 23:47:15 UTC: the last whole second whose nanoseconds fit in an Int64

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days since 1970-01-01 of a valid calendar date, or null. */
function civilDays(y: number, m: number, d: number): number | null {
  if (m < 1 || m > 12 || d < 1) return null;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = m === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[m - 1]!;
  if (d > dim) return null;
  // Days from civil (proleptic Gregorian, as Date.UTC), without the Date.UTC call.
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

function dayText(days: number): string {
  const d = new Date(days * DAY_MS);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

function date(is32: boolean): Coercer {
  const min = is32 ? DATE32_MIN : DATE_MIN;
  const max = is32 ? DATE32_MAX : DATE_MAX;
  return (v) => {
    if (typeof v === "string") {
      const m = DATE_RE.exec(v);
      if (!m) return FAIL;
      const days = civilDays(Number(m[1]), Number(m[2]), Number(m[3]));
      return days !== null && days >= min && days <= max ? v : FAIL;
    }
    // A number is days since 1970-01-01, as ClickHouse reads it.
    if (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max) return dayText(v);
    return FAIL;
  };
}

interface ParsedInstant {
  /** Whole seconds since the epoch, UTC (naive values read as UTC). */
  seconds: number;
  /** Fraction digits as written (up to 9). */
  fraction: string;
  zoned: boolean;
  /** Calendar fields, for naive values. */
  y: number; mo: number; d: number; h: number; mi: number; s: number;
}

/** Two digits at `i` as a number, or -1. */
function digits2(v: string, i: number): number {
  const a = v.charCodeAt(i) - 48, b = v.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Fields found by `scanDateTime` (reused: no allocation per value). */
const scanned = { y: 0, mo: 0, d: 0, h: 0, mi: 0, s: 0, fraction: "", zulu: false };

/**
 * What DATETIME_RE would capture, for the common shape
 * `YYYY-MM-DD[T ]HH:MM:SS[(.|,)digits][Z|z]`, by char codes, into `scanned`.
 * False for anything else (the regexp decides then).
 */
function scanDateTime(v: string): boolean {
  const n = v.length;
  if (n < 19) return false;
  const y1 = digits2(v, 0), y2 = digits2(v, 2), mo = digits2(v, 5), d = digits2(v, 8);
  const h = digits2(v, 11), mi = digits2(v, 14), s = digits2(v, 17);
  if (y1 < 0 || y2 < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return false;
  const t = v.charCodeAt(10);
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || (t !== 84 && t !== 32) || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return false;
  let i = 19;
  let fraction = "";
  const dot = v.charCodeAt(i);
  if (dot === 46 || dot === 44) {
    const start = ++i;
    while (i < n && isDigit(v.charCodeAt(i))) i++;
    if (i === start) return false;
    fraction = v.slice(start, i);
  }
  let zulu = false;
  if (i < n) {
    const z = v.charCodeAt(i);
    if (i + 1 !== n || (z !== 90 && z !== 122)) return false;
    zulu = true;
  }
  scanned.y = y1 * 100 + y2; scanned.mo = mo; scanned.d = d;
  scanned.h = h; scanned.mi = mi; scanned.s = s;
  scanned.fraction = fraction; scanned.zulu = zulu;
  return true;
}

/** parseDateTimeText's result, reused (read it before the next call). */
const instant: ParsedInstant = { seconds: 0, fraction: "", zoned: false, y: 0, mo: 0, d: 0, h: 0, mi: 0, s: 0 };

function parseDateTimeText(v: string): ParsedInstant | null {
  if (scanDateTime(v)) {
    const { y, mo, d, h, mi, s, fraction, zulu } = scanned;
    const days = civilDays(y, mo, d);
    if (days === null || h > 23 || mi > 59 || s > 59) return null;
    instant.seconds = days * 86_400 + h * 3600 + mi * 60 + s;
    instant.fraction = fraction.length <= 9 ? fraction : fraction.slice(0, 9);
    instant.zoned = zulu;
    instant.y = y; instant.mo = mo; instant.d = d; instant.h = h; instant.mi = mi; instant.s = s;
    return instant;
  }
  const m = DATETIME_RE.exec(v);
  if (!m) return null;
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  const h = m[4] === undefined ? 0 : Number(m[4]);
  const mi = m[5] === undefined ? 0 : Number(m[5]);
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const days = civilDays(y, mo, d);
  if (days === null || h > 23 || mi > 59 || s > 59) return null;
  let seconds = days * 86_400 + h * 3600 + mi * 60 + s;
  const zone = m[8];
  if (zone !== undefined && zone !== "Z" && zone !== "z") {
    const digits = zone.replace(":", "");
    const oh = Number(digits.slice(1, 3));
    const om = digits.length > 3 ? Number(digits.slice(3, 5)) : 0;
    if (oh > 14 || om > 59) return null;
    seconds -= (zone[0] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  return { seconds, fraction: (m[7] ?? "").slice(0, 9), zoned: zone !== undefined, y, mo, d, h, mi, s };
}

function naiveText(p: ParsedInstant): string {
  return `${pad(p.y, 4)}-${pad(p.mo, 2)}-${pad(p.d, 2)} ${pad(p.h, 2)}:${pad(p.mi, 2)}:${pad(p.s, 2)}`;
}

/**
 * Fast path of `dateTime` for text already in its output form
 * `YYYY-MM-DD HH:MM:SS[.<p digits>]`, a real date and time within [min, max];
 * years before 1900 are left to the general path.
 */
function isCanonicalWallClock(v: string, p: number, min: number, max: number): boolean {
  if (v.length !== (p === 0 ? 19 : 20 + p)) return false;
  if (!scanDateTime(v)) return false;
  const { y, mo, d, h, mi, s, fraction, zulu } = scanned;
  if (zulu || v.charCodeAt(10) !== 32 || fraction.length !== p || (p > 0 && v.charCodeAt(19) !== 46) || y < 1900) return false;
  const days = civilDays(y, mo, d);
  if (days === null || h > 23 || mi > 59 || s > 59) return false;
  const seconds = days * 86_400 + h * 3600 + mi * 60 + s;
  return seconds >= min && seconds <= max;
}

/** Time zones that are UTC all year, so wall-clock text is the instant itself. */
const UTC_ZONES = new Set(["UTC", "Etc/UTC", "UCT", "Etc/UCT", "GMT", "Etc/GMT", "Zulu", "Etc/Zulu", "Universal", "Etc/Universal"]);
/** More than any zone is away from UTC: wall-clock text farther than this from a limit is inside it in every zone. */
const ZONE_MARGIN_SECONDS = 15 * 3600;

const zoneFormats = new Map<string, Intl.DateTimeFormat | null>();

/** Wall-clock seconds in `zone` at the instant `utc` (both as seconds since 1970-01-01 00:00:00). */
function wallClockAt(format: Intl.DateTimeFormat, utc: number): number {
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  for (const part of format.formatToParts(new Date(utc * 1000))) {
    const n = Number(part.value);
    switch (part.type) {
      case "year": y = n; break;
      case "month": mo = n; break;
      case "day": d = n; break;
      case "hour": h = n; break;
      case "minute": mi = n; break;
      case "second": s = n; break;
    }
  }
  return civilDays(y, mo, d)! * 86_400 + h * 3600 + mi * 60 + s;
}

/**
 * The instant ClickHouse reads wall-clock text `wall` as in `zone` (the
 * zone's offset resolved by Intl), or null when Intl does not know the zone.
 * Only asked near the type's limits, where the offset decides.
 */
export function zonedInstant(zone: string, wall: number): number | null {
  let format = zoneFormats.get(zone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat("en-US", {
        timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric",
      });
    } catch {
      format = null;
    }
    zoneFormats.set(zone, format);
  }
  if (format === null) return null;
  let utc = wall;
  for (let i = 0; i < 3; i++) {
    const next = wall - (wallClockAt(format, utc) - utc);
    if (next === utc) break;
    utc = next;
  }
  return utc;
}

/** `precision` null = DateTime (seconds), else DateTime64(precision). */
function dateTime(precision: number | null, timezone: string | undefined): Coercer {
  const min = precision === null ? 0 : DT64_MIN;
  // DateTime64(9) counts nanoseconds in an Int64: past its last whole second ClickHouse refuses the
  // row (DECIMAL_OVERFLOW).
  const max = precision === null ? DATETIME_MAX : precision >= 9 ? DT64_9_MAX : DT64_MAX;
  // Wall-clock text is read in the column's zone (the server's when the type names none, taken as
  // UTC here). Near a limit the zone's offset decides: DateTime clamps silently past either end,
  // DateTime64(9) refuses past its upper one. There the instant is resolved; farther in, every zone fits.
  const zone = timezone !== undefined && !UTC_ZONES.has(timezone) ? timezone : null;
  const wallMin = zone !== null && precision === null ? min + ZONE_MARGIN_SECONDS : min;
  const wallMax = zone !== null && (precision === null || precision >= 9) ? max - ZONE_MARGIN_SECONDS : max;
  /** Whether naive wall-clock `seconds` is within the type's range once read in the column's zone. */
  const wallFits = (seconds: number): boolean => {
    if (seconds >= wallMin && seconds <= wallMax) return true;
    // DateTime64's own range (1900..2299) is checked on the wall clock, as ClickHouse stores it.
    if (zone === null || (precision !== null && (precision < 9 || seconds < wallMin))) return false;
    const instant = zonedInstant(zone, seconds);
    return instant !== null && instant >= min && instant <= max;
  };
  const p = precision ?? 0;
  const scale = 10 ** p;
  const unixText = (seconds: number, fraction: string) =>
    p === 0 ? String(seconds) : `${seconds}.${fraction.length === p ? fraction : fraction.padEnd(p, "0").slice(0, p)}`;

  return (v) => {
    if (typeof v === "string") {
      // `DDDD-…` is neither an integer nor a plain decimal: straight to the date forms.
      const dateShaped = v.charCodeAt(4) === 45 && digits2(v, 0) >= 0 && digits2(v, 2) >= 0;
      if (!dateShaped) {
        if (INT_RE.test(v)) return fromNumber(Number(v), v);
        if (FLOAT_RE.test(v) && !v.includes("e") && !v.includes("E")) return fromSecondsText(v);
      }
      if (dateShaped && isCanonicalWallClock(v, p, wallMin, wallMax)) return v;
      const parsed = parseDateTimeText(v);
      if (parsed === null) return FAIL;
      if (parsed.zoned ? parsed.seconds < min || parsed.seconds > max : !wallFits(parsed.seconds)) return FAIL;
      if (parsed.zoned) {
        // An instant: unix time is read the same whatever the server or column time zone.
        if (precision === null) return parsed.seconds;
        if (parsed.seconds < 0) return FAIL; // see negativeInstant
        return unixText(parsed.seconds, parsed.fraction);
      }
      // Wall-clock text: ClickHouse reads it in the column's time zone, so it stays text.
      const text = p === 0 ? naiveText(parsed) : `${naiveText(parsed)}.${parsed.fraction.padEnd(p, "0").slice(0, p)}`;
      return text === v ? v : text;
    }
    if (typeof v === "number") return fromNumber(v, null);
    return FAIL;
  };

  function fromNumber(n: number, text: string | null): unknown {
    if (!Number.isFinite(n)) return FAIL;
    if (precision === null) {
      const s = Math.floor(n);
      if (s < min || s > max) return FAIL;
      if (text === null && Number.isInteger(n)) { coerceState.intNumber = true; return n; }
      return s;
    }
    if (Number.isInteger(n)) {
      // ClickHouse reads an integer for DateTime64(P) as ticks of 10^-P seconds.
      if (!Number.isSafeInteger(n)) { coerceState.lossy = text === null; if (text === null) return n; }
      const ticks = text !== null ? BigInt(text) : BigInt(n);
      const big = BigInt(scale);
      let seconds = ticks / big;
      let rem = ticks % big;
      if (rem < 0n) { seconds -= 1n; rem += big; }
      const s = Number(seconds);
      if (s < min || s > max) return FAIL;
      if (s < 0) return FAIL; // see negativeInstant
      return unixText(s, rem.toString().padStart(p, "0"));
    }
    return fromSecondsText(String(n));
  }

  function fromSecondsText(t: string): unknown {
    const m = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(t);
    if (!m) return FAIL;
    let seconds = Number(m[2]);
    let fraction = (m[3] ?? "").slice(0, 9);
    if (m[1] === "-") {
      // -1.25 s = -2 s + 0.75 s
      if (/[1-9]/.test(fraction)) {
        const f = 10 ** fraction.length - Number(fraction);
        seconds = -seconds - 1;
        fraction = pad(f, fraction.length);
      } else seconds = -seconds;
    }
    if (seconds < min || seconds > max) return FAIL;
    if (precision === null) return seconds;
    if (seconds < 0) return FAIL; // see negativeInstant
    return unixText(seconds, fraction);
  }
}

/**
 * negativeInstant: a DateTime64 instant before 1970 given as unix time or with
 * an offset is refused. ClickHouse has no spelling for it that every server
 * reads the same way (`"-100.25"` fails; a negative tick count fails with
 * date_time_input_format=basic; UTC wall-clock text depends on the column's
 * time zone). Wall-clock text before 1970 (`1950-01-01 00:00:00`) is accepted.
 */

// -------------------------------------------------------------- composites

function array(element: Coercer): Coercer {
  return (v) => {
    if (!Array.isArray(v)) return FAIL;
    let out: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      // A null inside a non-Nullable element type would silently become the default.
      const r = x === null ? nullElement(element) : element(x);
      if (r === FAIL) return FAIL;
      if (r !== x && out === null) out = v.slice(0, i);
      if (out !== null) out.push(r);
    }
    return out ?? v;
  };
}

function nullElement(c: Coercer): unknown {
  return c(null) === null ? null : FAIL;
}

function map(key: Coercer, value: Coercer): Coercer {
  return (v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return FAIL;
    let out: Record<string, unknown> | null = null;
    const entries = Object.entries(v);
    for (let i = 0; i < entries.length; i++) {
      const [k, x] = entries[i]!;
      const ck = key(k);
      if (ck === FAIL || ck === null) return FAIL;
      const cx = x === null ? nullElement(value) : value(x);
      if (cx === FAIL) return FAIL;
      const sk = typeof ck === "string" ? ck : String(ck);
      if ((sk !== k || cx !== x) && out === null) {
        out = {};
        for (let j = 0; j < i; j++) out[entries[j]![0]] = entries[j]![1];
      }
      if (out !== null) out[sk] = cx;
    }
    return out ?? v;
  };
}

function isBoolKey(type: ClickHouseType): boolean {
  while (type.kind === "lowCardinality" || type.kind === "nullable") type = type.inner;
  return type.kind === "bool";
}

/**
 * Map(Bool, V): JSON object keys are quoted, and ClickHouse reads no quoted
 * Bool (`{"true": 1}` fails the whole insert), so only an empty map goes in.
 */
function boolKeyedMap(value: Coercer): Coercer {
  const inner = map(bool, value);
  return (v) => {
    const r = inner(v);
    if (r === FAIL) return FAIL;
    for (const _ in r as object) return failBecause("ClickHouse cannot read Bool map keys from JSON");
    return r;
  };
}

// ------------------------------------------------------- JSON and Dynamic

const INT64_MIN = -(2 ** 63);
const UINT64_LIMIT = 2 ** 64;
/** From here on, JSON.stringify writes numbers with an exponent (`1e+21`), which ClickHouse reads as Float64. */
const EXPONENT_FROM = 1e21;

/**
 * What ClickHouse's JSON type refuses in an object, as a reason, or null:
 * numbers beyond Float64 (`1e400`), integers written without an exponent
 * outside Int64/UInt64, and two values for one path (`{"a":{"b":1},"a.b":2}`:
 * dotted keys are paths). JSON.parse keeps no number text, so every integer
 * between 2^64 and 1e21 is refused (its text may be plain digits, and
 * re-serialized it would be).
 */
function jsonObjectProblem(obj: Record<string, unknown>, prefix: string, paths: Set<string>): string | null {
  for (const key in obj) {
    const v = obj[key];
    const path = prefix + key;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      let empty = true;
      for (const _ in v) { empty = false; break; }
      if (!empty) {
        const problem = jsonObjectProblem(v as Record<string, unknown>, path + ".", paths);
        if (problem !== null) return problem;
        continue;
      }
    }
    if (paths.has(path)) return `path '${path}' has two values (dotted keys are paths)`;
    paths.add(path);
    const problem = jsonValueProblem(v);
    if (problem !== null) return problem;
  }
  return null;
}

function jsonValueProblem(v: unknown): string | null {
  if (typeof v === "number") return jsonNumberProblem(v);
  if (Array.isArray(v)) {
    for (const x of v) {
      const problem = jsonValueProblem(x);
      if (problem !== null) return problem;
    }
    return null;
  }
  // Objects inside arrays are documents of their own: their paths start afresh.
  if (v !== null && typeof v === "object") return jsonObjectProblem(v as Record<string, unknown>, "", new Set());
  return null;
}

function jsonNumberProblem(v: number): string | null {
  if (!Number.isFinite(v)) return "a number is beyond the range of Float64";
  // Doubles near the limits stand for several integers (-2^63 also for -2^63-1): the limits themselves are refused too.
  if (Number.isInteger(v) && (v <= INT64_MIN || v >= UINT64_LIMIT) && Math.abs(v) < EXPONENT_FROM) {
    return "an integer is outside Int64/UInt64 (send it as a string, or with an exponent past 1e21)";
  }
  return null;
}

const json: Coercer = (v) => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return FAIL;
  const problem = jsonObjectProblem(v as Record<string, unknown>, "", new Set());
  if (problem !== null) return failBecause(problem);
  // `1e21` and beyond: the original text may be plain digits (refused), the re-serialized one never is.
  if (hasHugeInteger(v)) coerceState.rewrite = true;
  return v;
};

function hasHugeInteger(v: unknown): boolean {
  if (typeof v === "number") return Math.abs(v) >= EXPONENT_FROM && Number.isFinite(v);
  if (v === null || typeof v !== "object") return false;
  for (const k in v as object) if (hasHugeInteger((v as Record<string, unknown>)[k])) return true;
  return false;
}

/** Dynamic takes any JSON value; a number beyond Float64 would be stored as inf (or, re-serialized, as NULL). */
const dynamic: Coercer = (v) => {
  if (typeof v === "number") return Number.isFinite(v) ? v : FAIL;
  if (v !== null && typeof v === "object" && hasNonFinite(v)) return failBecause("a number is beyond the range of Float64");
  return v;
};

function hasNonFinite(v: unknown): boolean {
  if (typeof v === "number") return !Number.isFinite(v);
  if (v === null || typeof v !== "object") return false;
  for (const k in v as object) if (hasNonFinite((v as Record<string, unknown>)[k])) return true;
  return false;
}

function tuple(type: TupleType): Coercer {
  const elements = type.elements.map((e) => ({ name: e.name, coerce: compileCoercer(e.type) }));
  const named = elements.every((e) => e.name !== undefined);
  return (v) => {
    if (named) {
      // Named tuples are JSON objects in JSONEachRow; a positional array is accepted and converted.
      const out: Record<string, unknown> = {};
      let same = !Array.isArray(v);
      if (Array.isArray(v)) {
        if (v.length !== elements.length) return FAIL;
        for (let i = 0; i < elements.length; i++) {
          const x = v[i];
          const r = x === null ? nullElement(elements[i]!.coerce) : elements[i]!.coerce(x);
          if (r === FAIL) return FAIL;
          out[elements[i]!.name!] = r;
        }
        return out;
      }
      if (v === null || typeof v !== "object") return FAIL;
      const obj = v as Record<string, unknown>;
      let known = 0;
      for (const e of elements) {
        if (!Object.prototype.hasOwnProperty.call(obj, e.name!)) { same = false; continue; }
        known++;
        const x = obj[e.name!];
        const r = x === null ? nullElement(e.coerce) : e.coerce(x);
        if (r === FAIL) return FAIL;
        if (r !== x) same = false;
        out[e.name!] = r;
      }
      if (Object.keys(obj).length !== known) return FAIL;
      return same ? v : out;
    }
    if (!Array.isArray(v) || v.length !== elements.length) return FAIL;
    let out: unknown[] | null = null;
    for (let i = 0; i < elements.length; i++) {
      const x = v[i];
      const r = x === null ? nullElement(elements[i]!.coerce) : elements[i]!.coerce(x);
      if (r === FAIL) return FAIL;
      if (r !== x && out === null) out = v.slice(0, i);
      if (out !== null) out.push(r);
    }
    return out ?? v;
  };
}
