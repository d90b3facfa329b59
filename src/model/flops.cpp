#include "accompanist/model/flops.h"

#include <algorithm>

namespace acc::model {

int64_t parameter_count(const ModelConfig& c) {
  const int64_t d = c.d_model, H = c.heads, dk = c.head_dim(), R = c.max_relative_distance;
  const int64_t attention = 4 * (d * d + d);           // q, k, v, o
  const int64_t ffn = d * c.ff + c.ff + c.ff * d + d;  // fc1, fc2
  const int64_t norm = 2 * d;
  const int64_t encoder_layer = attention + H * (2 * R - 1) * dk + ffn + 2 * norm;
  const int64_t decoder_layer = 2 * attention + H * R * dk + ffn + 3 * norm;
  const int64_t embeddings = 2 * c.vocab_size * d;
  const int64_t output = d * c.vocab_size + c.vocab_size;
  // Beyond the SPEC model: bar and chord tables (zero when off).
  const BarAlignment& a = c.bar_alignment;
  const int64_t bars =
      (a.embeddings ? 2 * a.max_bars * d : 0) + (a.bias ? c.dec_layers * H * (2 * a.bias_distance + 1) : 0);
  const int64_t chords = (int64_t(c.chord_conditioning.source) + int64_t(c.chord_conditioning.target)) * kChordIds * d;
  return embeddings + c.enc_layers * encoder_layer + c.dec_layers * decoder_layer + output + bars + chords;
}

double forward_flops(const ModelConfig& c, int64_t source_len, int64_t target_len) {
  const double d = static_cast<double>(c.d_model), ff = static_cast<double>(c.ff);
  const double S = static_cast<double>(source_len), T = static_cast<double>(target_len);
  const double R = static_cast<double>(c.max_relative_distance);
  const double proj = 2.0 * d * d;  // one d x d projection per token
  const double ffn = 2.0 * 2.0 * d * ff;

  // Per layer; across heads Q K^T for Lq x Lk is 2 * Lq * Lk * d.
  const double enc_rel = 2.0 * std::min(S, R) - 1.0;
  const double encoder_layer = S * (4.0 * proj + ffn)             // projections and FFN
                               + 2.0 * S * S * d                  // Q K^T
                               + 2.0 * S * enc_rel * d            // Q rel^T
                               + 2.0 * S * S * d;                 // weights x V
  const double decoder_layer = T * (4.0 * proj + ffn)             // self-attention projections and FFN
                               + 2.0 * T * T * d                  // self Q K^T
                               + 2.0 * T * std::min(T, R) * d     // self Q rel^T
                               + 2.0 * T * T * d                  // self weights x V
                               + T * 2.0 * proj + S * 2.0 * proj  // cross q, o (target) and k, v (source)
                               + 2.0 * T * S * d * 2.0;           // cross Q K^T and weights x V
  const double output = 2.0 * T * d * static_cast<double>(c.vocab_size);
  return static_cast<double>(c.enc_layers) * encoder_layer + static_cast<double>(c.dec_layers) * decoder_layer + output;
}

double training_flops(const ModelConfig& c, int64_t source_len, int64_t target_len) {
  return 3.0 * forward_flops(c, source_len, target_len);
}

}  // namespace acc::model
