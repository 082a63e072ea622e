#include "infini/opus_codec.h"

#include <opus.h>

#include <fmt/format.h>

namespace infini {
namespace {

Status CheckRate(int rate) {
  if (rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000) return Status::OK();
  return Status::InvalidArgument(fmt::format("opus: unsupported sample rate {} Hz", rate));
}

class OpusEncoderImpl final : public OpusEncoder {
 public:
  explicit OpusEncoderImpl(const OpusOptions& o) : options_(o) {}
  ~OpusEncoderImpl() override {
    if (enc_) opus_encoder_destroy(enc_);
  }
  Status Init() {
    int err = 0;
    enc_ = opus_encoder_create(options_.sample_rate, 1,
                               options_.voip ? OPUS_APPLICATION_VOIP : OPUS_APPLICATION_AUDIO, &err);
    if (err != OPUS_OK) return Status::Internal(fmt::format("opus_encoder_create: {}", opus_strerror(err)));
    opus_encoder_ctl(enc_, OPUS_SET_BITRATE(options_.bitrate));
    opus_encoder_ctl(enc_, OPUS_SET_COMPLEXITY(options_.complexity));
    return Status::OK();
  }
  Status Encode(const AudioFrame& frame, std::vector<uint8_t>& packet) override {
    const size_t expected = static_cast<size_t>(AudioFrame::SamplesPerFrame(options_.sample_rate));
    if (frame.channels != 1 || frame.sample_rate != options_.sample_rate || frame.samples.size() != expected) {
      return Status::InvalidArgument(fmt::format(
          "opus: encoder wants 20 ms mono at {} Hz ({} samples), got {} samples, {} channel(s) at {} Hz",
          options_.sample_rate, expected, frame.samples.size(), frame.channels, frame.sample_rate));
    }
    packet.resize(1275);  // the largest Opus packet
    int n = opus_encode(enc_, frame.samples.data(), static_cast<int>(expected), packet.data(),
                        static_cast<opus_int32>(packet.size()));
    if (n < 0) return Status::Internal(fmt::format("opus_encode: {}", opus_strerror(n)));
    packet.resize(static_cast<size_t>(n));
    return Status::OK();
  }

 private:
  OpusOptions options_;
  ::OpusEncoder* enc_ = nullptr;
};

class OpusDecoderImpl final : public OpusDecoder {
 public:
  explicit OpusDecoderImpl(const OpusOptions& o) : options_(o) {}
  ~OpusDecoderImpl() override {
    if (dec_) opus_decoder_destroy(dec_);
  }
  Status Init() {
    int err = 0;
    dec_ = opus_decoder_create(options_.sample_rate, 1, &err);
    if (err != OPUS_OK) return Status::Internal(fmt::format("opus_decoder_create: {}", opus_strerror(err)));
    return Status::OK();
  }
  Status Decode(std::span<const uint8_t> packet, AudioFrame& frame) override {
    if (packet.empty()) return Status::InvalidArgument("opus: empty packet (use Conceal for a lost frame)");
    return Run(packet.data(), static_cast<opus_int32>(packet.size()), frame);
  }
  Status Conceal(AudioFrame& frame) override { return Run(nullptr, 0, frame); }

 private:
  Status Run(const uint8_t* data, opus_int32 len, AudioFrame& frame) {
    const int samples = AudioFrame::SamplesPerFrame(options_.sample_rate);
    frame.sample_rate = options_.sample_rate;
    frame.channels = 1;
    frame.samples.resize(static_cast<size_t>(samples));
    int n = opus_decode(dec_, data, len, frame.samples.data(), samples, 0);
    if (n < 0) {
      frame.samples.assign(static_cast<size_t>(samples), 0);
      return Status::Corruption(fmt::format("opus: cannot decode packet of {} bytes: {}", len, opus_strerror(n)));
    }
    frame.samples.resize(static_cast<size_t>(n));
    return Status::OK();
  }
  OpusOptions options_;
  ::OpusDecoder* dec_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<OpusEncoder>> OpusEncoder::Create(const OpusOptions& options) {
  INFINI_RETURN_IF_ERROR(CheckRate(options.sample_rate));
  auto e = std::make_unique<OpusEncoderImpl>(options);
  INFINI_RETURN_IF_ERROR(e->Init());
  return std::unique_ptr<OpusEncoder>(std::move(e));
}

Result<std::unique_ptr<OpusDecoder>> OpusDecoder::Create(const OpusOptions& options) {
  INFINI_RETURN_IF_ERROR(CheckRate(options.sample_rate));
  auto d = std::make_unique<OpusDecoderImpl>(options);
  INFINI_RETURN_IF_ERROR(d->Init());
  return std::unique_ptr<OpusDecoder>(std::move(d));
}

}  // namespace infini
