package io.github.bnb4j.core.functional.transformer;

/**
 * The heads of grouped-query attention: {@code queryHeads = group · kvHeads} query heads of {@code headDim}, query
 * head j reading key/value head {@code j / group} (transformers' {@code repeat_kv}). Multi-head attention is the
 * case {@code queryHeads == kvHeads}, multi-query attention {@code kvHeads == 1}.
 *
 * @param queryHeads the config's {@code num_attention_heads}
 * @param kvHeads    the config's {@code num_key_value_heads}
 * @param headDim    the config's {@code head_dim} (hidden_size / num_attention_heads when absent)
 */
public record AttentionHeads(int queryHeads, int kvHeads, int headDim) {
    /**
     * @throws IllegalArgumentException unless kvHeads &gt;= 1, queryHeads is a positive multiple of kvHeads and
     *                                  headDim &gt;= 1
     */
    public AttentionHeads {
        if (kvHeads < 1) {
            throw new IllegalArgumentException("kvHeads must be >= 1, got " + kvHeads);
        }
        if (queryHeads < 1 || queryHeads % kvHeads != 0) {
            throw new IllegalArgumentException("queryHeads must be a positive multiple of kvHeads = " + kvHeads
                    + ", got " + queryHeads);
        }
        if (headDim < 1) {
            throw new IllegalArgumentException("headDim must be >= 1, got " + headDim);
        }
    }

    /** Query heads per key/value head. */
    public int group() {
        return queryHeads / kvHeads;
    }

    /** transformers' scaling of the scores, {@code headDim^-0.5}, rounded to f32. */
    public float scale() {
        return (float) (1.0 / Math.sqrt(headDim));
    }
}
