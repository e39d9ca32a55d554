import onnxProto from 'onnx-proto';
import { encodeModel } from './wire.ts';

/**
 * A small builder over onnx-proto's generated classes: it collects nodes, initializers, inputs and
 * outputs, hands out unique tensor names, and serialises a ModelProto. Everything in
 * src/model/onnx builds on it; see ./index.ts for the whole API.
 */
export const { onnx } = onnxProto;
export type OnnxAttribute = onnxProto.onnx.IAttributeProto;
export type OnnxNode = onnxProto.onnx.INodeProto;
export type OnnxTensor = onnxProto.onnx.ITensorProto;
export type OnnxValueInfo = onnxProto.onnx.IValueInfoProto;

/** The ONNX element types the models use. */
export const ElementType = {
  float: onnx.TensorProto.DataType.FLOAT,
  double: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  string: onnx.TensorProto.DataType.STRING,
} as const;
export type ElementTypeName = keyof typeof ElementType;

/** Domain of the classical-ML operators (LabelEncoder, TreeEnsembleRegressor, ...). */
export const ML_DOMAIN = 'ai.onnx.ml';
/**
 * Opsets and IR version are pinned to what Debian's python3-onnx 1.12 checker knows (ai.onnx 17,
 * ai.onnx.ml 3, IR 8): a model it cannot check is a model we cannot prove. onnxruntime-node 1.30
 * runs all of them.
 */
export const DEFAULT_OPSET = 17;
export const ML_OPSET = 3;
export const IR_VERSION = 8;

const AttributeType = onnx.AttributeProto.AttributeType;
const utf8 = new TextEncoder();

/** Attribute constructors, named after the ONNX attribute types. */
export const attr = {
  int: (name: string, value: number): OnnxAttribute => ({ name, type: AttributeType.INT, i: value }),
  ints: (name: string, values: ArrayLike<number>): OnnxAttribute => ({
    name,
    type: AttributeType.INTS,
    ints: Array.from(values),
  }),
  float: (name: string, value: number): OnnxAttribute => ({ name, type: AttributeType.FLOAT, f: value }),
  floats: (name: string, values: ArrayLike<number>): OnnxAttribute => ({
    name,
    type: AttributeType.FLOATS,
    floats: Array.from(values),
  }),
  string: (name: string, value: string): OnnxAttribute => ({
    name,
    type: AttributeType.STRING,
    s: utf8.encode(value),
  }),
  strings: (name: string, values: readonly string[]): OnnxAttribute => {
    // A tree ensemble repeats a few mode names a million times: encode each distinct one once.
    const encoded = new Map<string, Uint8Array>();
    const bytes = (value: string) => {
      let found = encoded.get(value);
      if (!found) {
        found = utf8.encode(value);
        encoded.set(value, found);
      }
      return found;
    };
    return { name, type: AttributeType.STRINGS, strings: values.map(bytes) };
  },
  tensor: (name: string, value: OnnxTensor): OnnxAttribute => ({
    name,
    type: AttributeType.TENSOR,
    t: value,
  }),
};

/** A constant tensor (initializer or attribute value). Floats are stored as float32. */
export function tensor(
  name: string,
  type: 'float' | 'int64' | 'double',
  dims: number[],
  values: ArrayLike<number>,
): OnnxTensor {
  const data = Array.from(values);
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`tensor ${name}: ${data.length} values for dims [${dims}]`);
  if (type === 'float') return { name, dims, dataType: ElementType.float, floatData: data };
  if (type === 'double') return { name, dims, dataType: ElementType.double, doubleData: data };
  return { name, dims, dataType: ElementType.int64, int64Data: data };
}

/** Shape entries: a number is a fixed dimension, a string a named symbolic one (e.g. 'N'). */
export type Shape = Array<number | string>;

export function valueInfo(name: string, type: ElementTypeName, shape: Shape): OnnxValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType: ElementType[type],
        shape: {
          dim: shape.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })),
        },
      },
    },
  };
}

/** Symbolic batch dimension used on every input and output. */
export const BATCH = 'N';

export interface NodeOptions {
  domain?: string;
  /** Readable node name; a unique one is generated otherwise. */
  name?: string;
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  private readonly used = new Set<string>();

  /** A tensor or node name not used before in this graph (`prefix`, then `prefix_1`, ...). */
  uniqueName(prefix: string): string {
    let name = prefix;
    for (let i = 1; this.used.has(name); i++) name = `${prefix}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Declares a graph input; its name is the caller's (feature names are the model's API). */
  addInput(name: string, type: ElementTypeName, shape: Shape): string {
    if (this.used.has(name)) throw new Error(`ONNX graph: input name ${name} is already used`);
    this.used.add(name);
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** Declares an existing tensor as a graph output. */
  addOutput(name: string, type: ElementTypeName, shape: Shape): void {
    this.outputs.push(valueInfo(name, type, shape));
  }

  /** Adds a constant and returns its tensor name. */
  addConstant(prefix: string, type: 'float' | 'int64' | 'double', dims: number[], values: ArrayLike<number>) {
    const name = this.uniqueName(prefix);
    this.initializers.push(tensor(name, type, dims, values));
    return name;
  }

  /**
   * Adds one node. `outputs` are prefixes made unique unless `exactOutputs` names them exactly
   * (for graph outputs such as `label`). Returns the output tensor names.
   */
  addNode(
    opType: string,
    inputs: string[],
    outputs: string[],
    attributes: OnnxAttribute[] = [],
    options: NodeOptions & { exactOutputs?: boolean } = {},
  ): string[] {
    const outputNames = outputs.map((output) => {
      if (!options.exactOutputs) return this.uniqueName(output);
      if (this.used.has(output)) throw new Error(`ONNX graph: tensor name ${output} is already used`);
      this.used.add(output);
      return output;
    });
    this.nodes.push({
      opType,
      input: inputs,
      output: outputNames,
      attribute: attributes,
      name: this.uniqueName(options.name ?? opType),
      domain: options.domain ?? '',
    });
    return outputNames;
  }
}

export interface AssembleOptions {
  graphName?: string;
  producerVersion?: string;
  docString?: string;
  /** Stored as the model's metadata_props (e.g. the signature as JSON). */
  metadata?: Record<string, string>;
}

/** Serialises the graph as a ModelProto with the pinned opsets. */
export function assembleModel(graph: GraphBuilder, options: AssembleOptions = {}): Uint8Array {
  return encodeModel(
    {
      irVersion: IR_VERSION,
      producerName: 'mlship',
      producerVersion: options.producerVersion ?? '0.1.0',
      docString: options.docString ?? '',
      opsetImport: [
        { domain: '', version: DEFAULT_OPSET },
        { domain: ML_DOMAIN, version: ML_OPSET },
      ],
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    },
    {
      name: options.graphName ?? 'mlship',
      node: graph.nodes,
      initializer: graph.initializers,
      input: graph.inputs,
      output: graph.outputs,
    },
  );
}
