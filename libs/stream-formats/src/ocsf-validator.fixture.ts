import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/**
 * A test-only validator of OCSF events against the schema's own definition files (vendored from the public
 * ocsf/ocsf-schema repository at v1.8.0 into ../ocsf-schema). It compiles a class the way the OCSF server
 * does for what is used here: `extends` chains, `$include`d profiles, dictionary types and enums, then checks
 * an event: no attribute the class or object does not define, every required attribute present, the
 * `at_least_one` / `just_one` constraints, enum ids the class allows (with their caption siblings), values of
 * the dictionary type (string_t, integer_t, long_t, timestamp_t, ip_t, email_t...), and the uids that derive
 * from one another (class_uid, category_uid, type_uid).
 */

const ROOT = join(__dirname, '..', 'ocsf-schema');
const readJson = (path: string): Json => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Json;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- schema files are untyped JSON

interface Attribute {
  requirement?: string;
  type?: string;
  is_array?: boolean;
  enum?: Record<string, { caption: string }>;
  sibling?: string;
  /** Set on attributes a profile adds: they apply only to events that declare the profile in metadata.profiles. */
  profile?: string;
}

interface Compiled {
  name: string;
  caption: string;
  uid?: number;
  category?: string;
  attributes: Record<string, Attribute>;
  constraints: { at_least_one?: string[]; just_one?: string[] };
}

const dictionary = readJson('dictionary.json');
const categories = readJson('categories.json');
export const OCSF_SCHEMA_VERSION: string = readJson('version.json').version;

const EVENT_FILES: Record<string, string> = {
  base_event: 'events/base_event.json',
  application: 'events/application/application.json',
  iam: 'events/iam/iam.json',
  api_activity: 'events/application/api_activity.json',
  web_resources_activity: 'events/application/web_resources_activity.json',
  authentication: 'events/iam/authentication.json',
  account_change: 'events/iam/account_change.json',
  entity_management: 'events/iam/entity_management.json',
  group_management: 'events/iam/group_management.json',
};

function mergeAttribute(base: Attribute | undefined, over: Attribute): Attribute {
  if (base === undefined) return { ...over };
  // A class's enum adds to the dictionary's (activity_id keeps Unknown 0 and Other 99 of the base event).
  const merged = { ...base, ...over };
  if (base.enum && over.enum) merged.enum = { ...base.enum, ...over.enum };
  return merged;
}

function addAttributes(target: Record<string, Attribute>, source: Json | undefined, profile?: string): void {
  if (!source) return;
  for (const [name, value] of Object.entries(source)) {
    if (name === '$include') {
      for (const path of (Array.isArray(value) ? value : [value]) as string[]) {
        const included = readJson(path);
        addAttributes(target, included.attributes, included.meta === 'profile' ? (included.name as string) : profile);
      }
      continue;
    }
    // The files' own `profile` keys are annotations; what counts is where the attribute was added: by a
    // profile (then it needs the profile), or by a class or object itself (then it is the class's own).
    const own = { ...(value as Attribute) };
    delete own.profile;
    const merged = mergeAttribute(target[name], own);
    if (profile === undefined) delete merged.profile;
    else if (target[name] === undefined) merged.profile = profile;
    target[name] = merged;
  }
}

/** The profiles the event being checked declares (metadata.profiles). */
let declaredProfiles: readonly string[] = [];

const cache = new Map<string, Compiled>();

function compile(file: string): Compiled {
  const cached = cache.get(file);
  if (cached) return cached;
  const def = readJson(file);
  const attributes: Record<string, Attribute> = {};
  let constraints: Compiled['constraints'] = {};
  let category: string | undefined = def.category;
  if (def.extends) {
    const parent = compile(def.extends in EVENT_FILES ? EVENT_FILES[def.extends] : `objects/${def.extends}.json`);
    Object.assign(attributes, structuredClone(parent.attributes));
    constraints = parent.constraints;
    category ??= parent.category;
  }
  addAttributes(attributes, def.attributes);
  // Each attribute takes its type, array-ness, enum and sibling from the dictionary unless the class overrides them.
  for (const [name, attr] of Object.entries(attributes)) {
    const entry = dictionary.attributes[name] as Attribute | undefined;
    if (!entry) throw new Error(`${file}: attribute ${name} is not in the dictionary`);
    attributes[name] = { ...entry, profile: undefined, ...attr, enum: attr.enum && entry.enum ? { ...entry.enum, ...attr.enum } : (attr.enum ?? entry.enum) };
  }
  const compiled: Compiled = { name: def.name, caption: def.caption, uid: def.uid, category, attributes, constraints: def.constraints ?? constraints };
  cache.set(file, compiled);
  return compiled;
}

/** The primitive a dictionary type resolves to, with the type's own checks (regex, max_len, range). */
function checkPrimitive(type: string, value: unknown, path: string, errors: string[]): void {
  const def = dictionary.types.attributes[type] as Json | undefined;
  if (!def) throw new Error(`unknown dictionary type ${type}`);
  if (def.type) checkPrimitive(def.type as string, value, path, errors);
  switch (type) {
    case 'string_t':
      if (typeof value !== 'string') errors.push(`${path}: ${type} expected, got ${typeof value}`);
      break;
    case 'integer_t':
      if (!Number.isInteger(value) || (value as number) < -(2 ** 31) || (value as number) >= 2 ** 31) errors.push(`${path}: integer_t expected, got ${String(value)}`);
      break;
    case 'long_t':
      if (!Number.isSafeInteger(value)) errors.push(`${path}: long_t expected, got ${String(value)}`);
      break;
    case 'float_t':
      if (typeof value !== 'number') errors.push(`${path}: float_t expected`);
      break;
    case 'boolean_t':
      if (typeof value !== 'boolean') errors.push(`${path}: boolean_t expected`);
      break;
    case 'ip_t':
      if (typeof value === 'string' && isIP(value) === 0) errors.push(`${path}: ip_t expected, got ${value}`);
      break;
    default:
      break;
  }
  if (typeof value === 'string') {
    if (def.max_len !== undefined && value.length > def.max_len) errors.push(`${path}: longer than ${def.max_len} for ${type}`);
    if (def.regex !== undefined && type !== 'ip_t' && !new RegExp(def.regex as string).test(value)) errors.push(`${path}: does not match ${type}`);
  }
}

function checkObject(def: Compiled, value: unknown, path: string, errors: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push(`${path}: object ${def.name} expected`);
    return;
  }
  const obj = value as Json;
  for (const [name, attr] of Object.entries(def.attributes)) {
    if (attr.requirement === 'required' && attr.profile === undefined && obj[name] === undefined) errors.push(`${path}.${name}: required by ${def.name}`);
  }
  for (const [key, v] of Object.entries(obj)) {
    const attr = def.attributes[key];
    if (!attr) {
      errors.push(`${path}.${key}: not an attribute of ${def.name}`);
      continue;
    }
    if (attr.profile !== undefined && !declaredProfiles.includes(attr.profile)) {
      errors.push(`${path}.${key}: belongs to the ${attr.profile} profile, which metadata.profiles does not declare`);
    }
    checkValue(attr, v, `${path}.${key}`, errors);
    // The uids that derive from the class are checked against the categories and the class below.
    if (attr.enum && !(path === '$' && DERIVED_UIDS.has(key))) {
      const option = attr.enum[String(v)];
      if (!option) errors.push(`${path}.${key}: ${String(v)} is not a value of ${def.name}.${key} (${Object.keys(attr.enum).join(', ')})`);
      else if (attr.sibling && obj[attr.sibling] !== undefined && v !== 99 && obj[attr.sibling] !== option.caption) {
        errors.push(`${path}.${attr.sibling}: "${String(obj[attr.sibling])}" is not the caption "${option.caption}" of ${key} ${String(v)}`);
      }
    }
  }
  const present = (names: string[]): number => names.filter((n) => obj[n] !== undefined).length;
  if (def.constraints.at_least_one && present(def.constraints.at_least_one) === 0) errors.push(`${path}: ${def.name} needs at least one of ${def.constraints.at_least_one.join(', ')}`);
  if (def.constraints.just_one && present(def.constraints.just_one) !== 1) errors.push(`${path}: ${def.name} needs exactly one of ${def.constraints.just_one.join(', ')}`);
}

const DERIVED_UIDS = new Set(['class_uid', 'category_uid', 'type_uid']);

function checkValue(attr: Attribute, value: unknown, path: string, errors: string[]): void {
  if (attr.is_array) {
    if (!Array.isArray(value)) errors.push(`${path}: array expected`);
    else value.forEach((item, i) => checkOne(attr, item, `${path}[${i}]`, errors));
    return;
  }
  checkOne(attr, value, path, errors);
}

function checkOne(attr: Attribute, value: unknown, path: string, errors: string[]): void {
  const type = attr.type as string;
  if (type.endsWith('_t')) checkPrimitive(type, value, path, errors);
  else if (type === 'object') {
    // The generic object (e.g. `unmapped`): any JSON object.
    if (typeof value !== 'object' || value === null || Array.isArray(value)) errors.push(`${path}: object expected`);
  } else checkObject(compile(`objects/${type}.json`), value, path, errors);
}

/** The problems of `event` as an OCSF event of the vendored schema; empty when it is valid. */
export function validateOcsfEvent(event: Json): string[] {
  const errors: string[] = [];
  const entry = Object.entries(EVENT_FILES).find(([name]) => {
    const cls = compile(EVENT_FILES[name]);
    return cls.uid !== undefined && cls.category && categories.attributes[cls.category].uid * 1000 + cls.uid === event.class_uid;
  });
  if (!entry) return [`class_uid ${String(event.class_uid)} is none of the vendored classes`];
  const cls = compile(entry[1]);
  declaredProfiles = Array.isArray(event.metadata?.profiles) ? (event.metadata.profiles as string[]) : [];
  const category = categories.attributes[cls.category as string];
  checkObject(cls, event, '$', errors);
  if (event.category_uid !== category.uid) errors.push(`$.category_uid: ${String(event.category_uid)}, the class is in ${category.uid}`);
  if (event.category_name !== category.caption) errors.push(`$.category_name: "${String(event.category_name)}", not "${category.caption}"`);
  if (event.class_name !== cls.caption) errors.push(`$.class_name: "${String(event.class_name)}", not "${cls.caption}"`);
  if (event.type_uid !== event.class_uid * 100 + event.activity_id) errors.push(`$.type_uid: ${String(event.type_uid)} is not class_uid * 100 + activity_id`);
  return errors;
}

/** The caption of an activity id in a class (for the mapping table's check). */
export function ocsfActivityCaption(classUid: number, activityId: number): string | undefined {
  for (const file of Object.values(EVENT_FILES)) {
    const cls = compile(file);
    if (cls.uid !== undefined && cls.category && categories.attributes[cls.category].uid * 1000 + cls.uid === classUid) {
      return cls.attributes.activity_id.enum?.[String(activityId)]?.caption;
    }
  }
  return undefined;
}
