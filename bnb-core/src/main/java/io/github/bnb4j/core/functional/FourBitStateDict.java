package io.github.bnb4j.core.functional;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.internal.json.Json;
import io.github.bnb4j.core.internal.json.PythonJson;

/**
 * A {@link FourBitState} as upstream's {@code QuantState.as_dict(packed=True)} / {@code from_dict} write and
 * read it, the form in {@code Linear4bit} state dicts and Hugging Face checkpoints. With a prefix such as
 * {@code "weight."} the keys are:
 * <pre>
 *   weight.absmax                            F32 [blocks], or U8 [blocks] codes when nested
 *   weight.quant_map                         F32 [16] code book
 *   weight.nested_absmax                     F32 [nested blocks]   (nested only)
 *   weight.nested_quant_map                  F32 [256]             (nested only)
 *   weight.quant_state.bitsandbytes__nf4     U8 [bytes]: UTF-8 JSON (or __fp4)
 * </pre>
 * The JSON holds, in this order, {@code quant_type}, {@code blocksize}, {@code dtype} ("float32",
 * "float16", "bfloat16"), {@code shape}, and when nested {@code nested_blocksize}, {@code nested_dtype},
 * {@code nested_offset}; written as Python's {@code json.dumps} writes it, so the bytes equal upstream's.
 */
public final class FourBitStateDict {
    /** The packed key, after the prefix, is this followed by "nf4" or "fp4". */
    public static final String PACKED_KEY = "quant_state.bitsandbytes__";

    private static final Set<String> JSON_KEYS = Set.of("quant_type", "blocksize", "dtype", "shape",
            "nested_blocksize", "nested_dtype", "nested_offset");
    private static final Set<String> TENSOR_KEYS = Set.of("absmax", "quant_map", "nested_absmax",
            "nested_quant_map");
    /** The blob is a few hundred bytes; these bounds only keep a hostile one small. */
    private static final Json.Limits JSON_LIMITS = new Json.Limits(4, 64, 1024);

    private FourBitStateDict() {
    }

    /**
     * The state dict entries of {@code state}, keys prefixed with {@code prefix}, in upstream's order. The
     * tensors are views of the state's tensors (closing them frees nothing) and the JSON a new CPU U8 tensor,
     * so the caller closes every entry and the state separately. Reads the nested offset (a device sync).
     *
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if a tensor of the state is closed
     */
    public static Map<String, Tensor> toStateDict(FourBitState state, String prefix) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(prefix, "prefix");
        Map<String, Tensor> out = new LinkedHashMap<>();
        try {
            if (state.scales() instanceof AbsmaxScales.Nested nested) {
                out.put(prefix + "absmax", view(nested.codes()));
                out.put(prefix + "quant_map", view(state.code()));
                // a nested state's own scales are plain (AbsmaxScales.Nested checks it)
                out.put(prefix + "nested_absmax", view(((AbsmaxScales.Plain) nested.state().scales()).absmax()));
                out.put(prefix + "nested_quant_map", view(nested.state().code()));
            } else {
                out.put(prefix + "absmax", view(((AbsmaxScales.Plain) state.scales()).absmax()));
                out.put(prefix + "quant_map", view(state.code()));
            }
            byte[] json = packedJson(state);
            out.put(prefix + PACKED_KEY + state.quantType().upstreamName(),
                    Tensor.fromBytes(json, DType.U8, Device.cpu(), json.length));
            return out;
        } catch (RuntimeException e) {
            out.values().forEach(Tensor::close);
            throw e;
        }
    }

    /**
     * The UTF-8 JSON bytes upstream packs under {@code quant_state.bitsandbytes__nf4} (or {@code __fp4}).
     *
     * @throws NullPointerException  if {@code state} is null
     * @throws IllegalStateException if a tensor of the state is closed
     */
    public static byte[] packedJson(FourBitState state) {
        Objects.requireNonNull(state, "state");
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("quant_type", state.quantType().upstreamName());
        json.put("blocksize", state.blocksize().value());
        json.put("dtype", torchName(state.dtype()));
        List<Object> shape = new ArrayList<>();
        for (long d : state.shape()) {
            shape.add(d);
        }
        json.put("shape", shape);
        if (state.scales() instanceof AbsmaxScales.Nested nested) {
            json.put("nested_blocksize", nested.state().blocksize().value());
            json.put("nested_dtype", torchName(nested.state().dtype()));
            json.put("nested_offset", (double) nested.offset().toFloatArray()[0]);
        }
        return PythonJson.dumps(json).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Rebuilds a state from the entries of {@code dict} whose keys start with {@code prefix} (others are
     * ignored), copying its tensors to {@code device}; the new state owns the copies, {@code dict} keeps its
     * tensors.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if there is not exactly one packed JSON entry, the JSON is malformed or
     *                                  has unknown or missing keys, a tensor is missing or unexpected, the
     *                                  quant_map is not the quant type's table, or the parts do not form a valid
     *                                  {@link FourBitState}
     * @throws IllegalStateException    if a tensor of {@code dict} is closed
     */
    public static FourBitState fromStateDict(Map<String, Tensor> dict, String prefix, Device device) {
        Objects.requireNonNull(dict, "dict");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(device, "device");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        String packedKey = null;
        for (Map.Entry<String, Tensor> e : dict.entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                continue;
            }
            String key = e.getKey().substring(prefix.length());
            if (key.startsWith(PACKED_KEY)) {
                if (packedKey != null) {
                    throw new IllegalArgumentException("dict must hold exactly one packed quant state under '"
                            + prefix + "', got '" + packedKey + "' and '" + e.getKey() + "'");
                }
                packedKey = e.getKey();
            } else if (TENSOR_KEYS.contains(key)) {
                tensors.put(key, Objects.requireNonNull(e.getValue(), e.getKey()));
            } else {
                throw new IllegalArgumentException("unknown quant state key '" + e.getKey() + "'; after the prefix"
                        + " the keys must be among " + TENSOR_KEYS + " or " + PACKED_KEY + "nf4|fp4");
            }
        }
        if (packedKey == null) {
            throw new IllegalArgumentException("dict has no packed quant state '" + prefix + PACKED_KEY
                    + "nf4' or '" + prefix + PACKED_KEY + "fp4'");
        }
        Map<?, ?> json = parseJson(packedKey, dict.get(packedKey));
        QuantType quantType = quantType(packedKey, json);
        boolean nested = json.containsKey("nested_offset");
        requireKeys(packedKey, json, tensors, nested);
        return build(json, tensors, quantType, nested, device);
    }

    private static FourBitState build(Map<?, ?> json, Map<String, Tensor> tensors, QuantType quantType,
            boolean nested, Device device) {
        requireTable(quantType, tensors.get("quant_map"));
        List<Tensor> made = new ArrayList<>();
        try {
            Tensor code = copy(made, tensors.get("quant_map"), device);
            Tensor absmax = copy(made, tensors.get("absmax"), device);
            AbsmaxScales scales;
            if (nested) {
                // upstream's offset is a float32 written through Python's float, so the cast is exact
                Tensor offset = Tensor.fromFloats(new float[] {(float) number(json, "nested_offset")}, DType.F32,
                        device, 1);
                made.add(offset);
                BlockwiseState inner = new BlockwiseState(new long[] {absmax.numel()},
                        dtype(json, "nested_dtype"), Blocksize.of(integer(json, "nested_blocksize")),
                        copy(made, tensors.get("nested_quant_map"), device),
                        new AbsmaxScales.Plain(copy(made, tensors.get("nested_absmax"), device)));
                scales = new AbsmaxScales.Nested(absmax, offset, inner);
            } else {
                scales = new AbsmaxScales.Plain(absmax);
            }
            return new FourBitState(shape(json), dtype(json, "dtype"), Blocksize.of(integer(json, "blocksize")),
                    quantType, code, scales);
        } catch (RuntimeException e) {
            made.forEach(Tensor::close);
            throw e;
        }
    }

    /**
     * The 4-bit kernels decode with the quant type's own table, as upstream's do, so a quant_map with other values
     * would be ignored silently: refuse it. A quant_map of the wrong dtype or size is left to {@link FourBitState}.
     */
    private static void requireTable(QuantType type, Tensor quantMap) {
        if (quantMap.dtype() != DType.F32 || quantMap.numel() != FourBitState.CODE_SIZE) {
            return;
        }
        float[] table = type == QuantType.NF4 ? CodeBooks.nf4() : CodeBooks.fp4();
        float[] values = quantMap.toFloatArray();
        for (int i = 0; i < table.length; i++) {
            if (values[i] != table[i]) {
                throw new IllegalArgumentException("quant_map must be the " + type + " table "
                        + Arrays.toString(table) + ", which the kernels decode with, but quant_map[" + i + "] = "
                        + values[i]);
            }
        }
    }

    private static Map<?, ?> parseJson(String key, Tensor blob) {
        Objects.requireNonNull(blob, key);
        if (blob.dtype() != DType.U8) {
            throw new IllegalArgumentException("'" + key + "' must be a U8 tensor of UTF-8 JSON, got " + blob);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(blob.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("'" + key + "' is not valid UTF-8", e);
        }
        Object root;
        try {
            root = Json.parse(text, JSON_LIMITS);
        } catch (Json.SyntaxException e) {
            throw new IllegalArgumentException("'" + key + "' is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("'" + key + "' must hold a JSON object, got " + text);
        }
        for (Object k : map.keySet()) {
            if (!JSON_KEYS.contains(k)) {
                throw new IllegalArgumentException("'" + key + "' has the unknown key \"" + k + "\"; allowed: "
                        + JSON_KEYS);
            }
        }
        return map;
    }

    private static QuantType quantType(String packedKey, Map<?, ?> json) {
        String suffix = packedKey.substring(packedKey.lastIndexOf("__") + 2);
        Object named = json.get("quant_type");
        for (QuantType t : QuantType.values()) {
            if (t.upstreamName().equals(suffix)) {
                if (!suffix.equals(named)) {
                    throw new IllegalArgumentException("quant_type in '" + packedKey + "' must be \"" + suffix
                            + "\" like its key, got " + named);
                }
                return t;
            }
        }
        throw new IllegalArgumentException("packed key '" + packedKey + "' must end in __nf4 or __fp4");
    }

    private static void requireKeys(String packedKey, Map<?, ?> json, Map<String, Tensor> tensors, boolean nested) {
        List<String> jsonKeys = nested
                ? List.of("quant_type", "blocksize", "dtype", "shape", "nested_blocksize", "nested_dtype",
                        "nested_offset")
                : List.of("quant_type", "blocksize", "dtype", "shape");
        if (!json.keySet().equals(Set.copyOf(jsonKeys))) {
            throw new IllegalArgumentException("'" + packedKey + "' must have the keys " + jsonKeys + ", got "
                    + json.keySet());
        }
        Set<String> tensorKeys = nested ? TENSOR_KEYS : Set.of("absmax", "quant_map");
        if (!tensors.keySet().equals(tensorKeys)) {
            throw new IllegalArgumentException("a " + (nested ? "nested" : "plain") + " quant state needs the tensors "
                    + tensorKeys + " beside '" + packedKey + "', got " + tensors.keySet());
        }
    }

    private static Tensor copy(List<Tensor> made, Tensor t, Device device) {
        Tensor c = t.to(device);
        made.add(c);
        return c;
    }

    private static Tensor view(Tensor t) {
        return t.reshape(t.shape());
    }

    private static long[] shape(Map<?, ?> json) {
        if (!(json.get("shape") instanceof List<?> list)) {
            throw new IllegalArgumentException("\"shape\" must be an array of integers, got " + json.get("shape"));
        }
        long[] shape = new long[list.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(list.get(i) instanceof Long d)) {
                throw new IllegalArgumentException("\"shape\" must be an array of integers, got " + list);
            }
            shape[i] = d;
        }
        return shape;
    }

    private static int integer(Map<?, ?> json, String key) {
        if (!(json.get(key) instanceof Long v) || v != v.intValue()) {
            throw new IllegalArgumentException("\"" + key + "\" must be an integer, got " + json.get(key));
        }
        return v.intValue();
    }

    private static double number(Map<?, ?> json, String key) {
        if (!(json.get(key) instanceof Number v) || !Double.isFinite(v.doubleValue())) {
            throw new IllegalArgumentException("\"" + key + "\" must be a finite number, got " + json.get(key));
        }
        return v.doubleValue();
    }

    private static DType dtype(Map<?, ?> json, String key) {
        Object name = json.get(key);
        for (DType t : StateChecks.ORIGINAL_TYPES) {
            if (torchName(t).equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("\"" + key + "\" must be \"float32\", \"float16\" or \"bfloat16\", got "
                + name);
    }

    /** The name of {@code torch.<name>}, as upstream writes dtypes. */
    private static String torchName(DType dtype) {
        return switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> throw new IllegalArgumentException("dtype must be F32, F16 or BF16, got " + dtype);
        };
    }
}
