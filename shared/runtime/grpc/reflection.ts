import { status, type Server, type ServerDuplexStream } from '@grpc/grpc-js';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { DESCRIPTOR_SET } from '../../gen/descriptors.js';
import { ServerReflectionService as V1, type ServerReflectionRequest, type ServerReflectionResponse } from '../../gen/grpc/reflection/v1/reflection.js';
import { ServerReflectionService as V1Alpha } from '../../gen/grpc/reflection/v1alpha/reflection.js';

/** The reflection service's own name (it lists itself, as other servers do). */
const REFLECTION_SERVICE = 'grpc.reflection.v1.ServerReflection';

/** The protos compiled in at build time, indexed: each file's bytes and imports, and where every symbol is defined. */
interface Index {
  files: Map<string, { bytes: Buffer; imports: string[] }>;
  symbols: Map<string, string>;
  messages: Set<string>;
}

/**
 * gRPC server reflection (grpc.reflection.v1, and v1alpha for older clients) over the
 * FileDescriptorSet of proto/ built into the code (shared/gen/descriptors.ts), so `grpcurl -plaintext
 * host:port list` and `describe` work without the proto files. Only `services` are listed (those
 * this server serves). Files are returned as buf compiled them, with every file they import
 * (google/protobuf's too: @grpc/reflection leaves those out, so grpcurl cannot resolve
 * Timestamp). The set is indexed on the first reflection call, never at a cold start.
 */
export function addReflection(server: Pick<Server, 'addService'>, services: string[]): void {
  let index: Index | undefined;
  const listed = [...services, REFLECTION_SERVICE].sort().map((name) => ({ name }));
  const answer = (req: ServerReflectionRequest): ServerReflectionResponse['messageResponse'] => {
    index ??= indexDescriptors(Buffer.from(DESCRIPTOR_SET, 'base64'));
    const m = req.messageRequest;
    const notFound = (what: string) => ({ $case: 'errorResponse' as const, value: { errorCode: status.NOT_FOUND, errorMessage: `${what} not found` } });
    const files = (name: string | undefined) => (name === undefined ? undefined : withImports(index!, name));
    switch (m?.$case) {
      case 'listServices':
        return { $case: 'listServicesResponse', value: { service: listed } };
      case 'fileByFilename': {
        const found = files(index.files.has(m.value) ? m.value : undefined);
        return found ? { $case: 'fileDescriptorResponse', value: { fileDescriptorProto: found } } : notFound(`file ${m.value}`);
      }
      case 'fileContainingSymbol': {
        const found = files(index.symbols.get(m.value.replace(/^\./, '')));
        return found ? { $case: 'fileDescriptorResponse', value: { fileDescriptorProto: found } } : notFound(`symbol ${m.value}`);
      }
      case 'fileContainingExtension':
        return notFound(`extension ${m.value.extensionNumber} of ${m.value.containingType}`);
      case 'allExtensionNumbersOfType':
        return index.messages.has(m.value)
          ? { $case: 'allExtensionNumbersResponse', value: { baseTypeName: m.value, extensionNumber: [] } }
          : notFound(`message ${m.value}`);
      case undefined:
        return { $case: 'errorResponse', value: { errorCode: status.INVALID_ARGUMENT, errorMessage: 'message_request is required' } };
    }
  };
  const handler = (call: ServerDuplexStream<ServerReflectionRequest, ServerReflectionResponse>) => {
    call.on('data', (req: ServerReflectionRequest) => call.write({ validHost: req.host, originalRequest: req, messageResponse: answer(req) }));
    call.on('end', () => call.end());
    call.on('error', () => call.end());
  };
  server.addService(V1, { serverReflectionInfo: handler });
  server.addService(V1Alpha, { serverReflectionInfo: handler });
}

/** A file's bytes, then every file it imports, transitively (each once). */
function withImports(index: Index, name: string): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    const entry = index.files.get(file);
    if (!entry || seen.has(file)) return;
    seen.add(file);
    out.push(entry.bytes);
    entry.imports.forEach(visit);
  };
  visit(name);
  return out;
}

/**
 * Reads a google.protobuf.FileDescriptorSet far enough to index it: each FileDescriptorProto's
 * name (1), package (2), imports (3), messages (4, with nested messages 3 and enums 4), enums (5)
 * and services (6, with methods 2); everything else is skipped.
 */
export function indexDescriptors(set: Uint8Array): Index {
  const index: Index = { files: new Map(), symbols: new Map(), messages: new Set() };
  for (const file of fields(set, 1)) {
    const name = text(first(file, 1));
    const pkg = text(first(file, 2));
    const qualify = (n: string, parent = pkg) => (parent ? `${parent}.${n}` : n);
    const message = (bytes: Uint8Array, parent: string) => {
      const full = qualify(text(first(bytes, 1)), parent);
      index.symbols.set(full, name);
      index.messages.add(full);
      for (const nested of fields(bytes, 3)) message(nested, full);
      for (const e of fields(bytes, 4)) index.symbols.set(qualify(text(first(e, 1)), full), name);
    };
    for (const m of fields(file, 4)) message(m, pkg);
    for (const e of fields(file, 5)) index.symbols.set(qualify(text(first(e, 1))), name);
    for (const s of fields(file, 6)) {
      const service = qualify(text(first(s, 1)));
      index.symbols.set(service, name);
      for (const method of fields(s, 2)) index.symbols.set(`${service}.${text(first(method, 1))}`, name);
    }
    index.files.set(name, { bytes: Buffer.from(file), imports: fields(file, 3).map(text) });
  }
  return index;
}

const decoder = new TextDecoder();
const text = (bytes: Uint8Array | undefined) => (bytes ? decoder.decode(bytes) : '');
const first = (message: Uint8Array, field: number) => fields(message, field)[0];

/** The values of a length-delimited field of a message, in order. */
function fields(message: Uint8Array, field: number): Uint8Array[] {
  const reader = new BinaryReader(message);
  const out: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (number === field && wireType === WireType.LengthDelimited) out.push(reader.bytes());
    else reader.skip(wireType);
  }
  return out;
}
