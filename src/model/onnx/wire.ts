import onnxProto from 'onnx-proto';

/**
 * Serialises a ModelProto with large nodes in mind. A tree ensemble has attributes with hundreds
 * of thousands of values; protobufjs writes every value as its own queued operation (hundreds of
 * megabytes for a 200-tree model) and proto2 repeated fields unpacked. Here node attributes are
 * written directly into a growing buffer, repeated numbers packed (which every protobuf parser
 * accepts for repeated scalars); the small remaining fields still go through protobufjs.
 * Protobuf fields may come in any order, so the parts are simply concatenated.
 */
const { onnx } = onnxProto;
const AttributeType = onnx.AttributeProto.AttributeType;
const LENGTH_DELIMITED = 2;
const VARINT = 0;
const FIXED32 = 5;

class Bytes {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  varint(value: number): void {
    this.reserve(10);
    if (value < 0) {
      // int64 two's complement: always ten bytes.
      let big = BigInt.asUintN(64, BigInt(value));
      for (let i = 0; i < 9; i++) {
        this.buffer[this.length++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      this.buffer[this.length++] = Number(big);
      return;
    }
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.length++] = v;
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  float(value: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** A length-delimited field whose body the callback writes. */
  delimited(field: number, body: (out: Bytes) => void): void {
    const inner = new Bytes();
    body(inner);
    this.tag(field, LENGTH_DELIMITED);
    this.varint(inner.length);
    this.raw(inner.bytes());
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

const utf8 = new TextEncoder();

function writeAttribute(out: Bytes, attribute: onnxProto.onnx.IAttributeProto): void {
  const type = attribute.type;
  const simple =
    type === AttributeType.INT ||
    type === AttributeType.INTS ||
    type === AttributeType.FLOAT ||
    type === AttributeType.FLOATS ||
    type === AttributeType.STRING ||
    type === AttributeType.STRINGS;
  if (!simple) {
    const encoded = onnx.AttributeProto.encode(attribute).finish();
    out.tag(5, LENGTH_DELIMITED);
    out.varint(encoded.length);
    out.raw(encoded);
    return;
  }
  out.delimited(5, (a) => {
    a.tag(1, LENGTH_DELIMITED);
    const name = utf8.encode(attribute.name ?? '');
    a.varint(name.length);
    a.raw(name);
    if (type === AttributeType.FLOAT) {
      a.tag(2, FIXED32);
      a.float(attribute.f ?? 0);
    } else if (type === AttributeType.INT) {
      a.tag(3, VARINT);
      a.varint(Number(attribute.i ?? 0));
    } else if (type === AttributeType.STRING) {
      const s = attribute.s ?? new Uint8Array(0);
      a.tag(4, LENGTH_DELIMITED);
      a.varint(s.length);
      a.raw(s);
    } else if (type === AttributeType.FLOATS) {
      const floats = attribute.floats ?? [];
      a.tag(7, LENGTH_DELIMITED);
      a.varint(floats.length * 4);
      for (const value of floats) a.float(value);
    } else if (type === AttributeType.INTS) {
      const ints = attribute.ints ?? [];
      a.delimited(8, (packed) => {
        for (const value of ints) packed.varint(Number(value));
      });
    } else {
      for (const s of attribute.strings ?? []) {
        a.tag(9, LENGTH_DELIMITED);
        a.varint(s.length);
        a.raw(s);
      }
    }
    a.tag(20, VARINT);
    a.varint(type);
  });
}

function encodeNode(node: onnxProto.onnx.INodeProto): Uint8Array {
  const out = new Bytes();
  out.raw(onnx.NodeProto.encode({ ...node, attribute: [] }).finish());
  for (const attribute of node.attribute ?? []) writeAttribute(out, attribute);
  return out.bytes();
}

/** Bytes of `model` (whose graph is `graph`), as onnx.ModelProto.encode would give, but lean. */
export function encodeModel(
  model: Omit<onnxProto.onnx.IModelProto, 'graph'>,
  graph: onnxProto.onnx.IGraphProto,
): Uint8Array {
  const graphBytes = new Bytes();
  // Nodes first and in order: a graph's nodes must stay topologically sorted.
  for (const node of graph.node ?? []) {
    const encoded = encodeNode(node);
    graphBytes.tag(1, LENGTH_DELIMITED);
    graphBytes.varint(encoded.length);
    graphBytes.raw(encoded);
  }
  graphBytes.raw(onnx.GraphProto.encode({ ...graph, node: [] }).finish());
  const out = new Bytes();
  out.raw(onnx.ModelProto.encode({ ...model, graph: null }).finish());
  out.tag(7, LENGTH_DELIMITED);
  out.varint(graphBytes.length);
  out.raw(graphBytes.bytes());
  return out.bytes().slice();
}
