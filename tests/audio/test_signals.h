// Signal helpers shared by the audio tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace infini::test {

inline std::vector<int16_t> Sine(double hz, int rate, int samples, double amplitude = 8000.0) {
  std::vector<int16_t> out(samples);
  for (int i = 0; i < samples; ++i) {
    out[i] = static_cast<int16_t>(std::lround(amplitude * std::sin(2 * M_PI * hz * i / rate)));
  }
  return out;
}

// Power of `hz` in `x` (Goertzel), normalised by length.
inline double ToneLevel(const std::vector<int16_t>& x, double hz, int rate, size_t from = 0) {
  double w = 2 * M_PI * hz / rate, c = 2 * std::cos(w), s1 = 0, s2 = 0;
  for (size_t i = from; i < x.size(); ++i) {
    double s = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  double n = static_cast<double>(x.size() - from);
  return std::sqrt(s1 * s1 + s2 * s2 - c * s1 * s2) / n;
}

}  // namespace infini::test
