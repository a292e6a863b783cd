#include "auth/aws_chunked.h"

#include "base/strings.h"
#include "crypto/hash.h"

namespace orgtrail::auth {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kSignatureExt = "chunk-signature=";
constexpr std::string_view kTrailerSignatureName = "x-amz-trailer-signature";

Status Malformed(std::string message) {
  return Status::Error("InvalidRequest", "Malformed aws-chunked body: " + std::move(message));
}

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Reads one CRLF-terminated line starting at *pos (at most kMaxChunkLineSize
// bytes), advancing *pos past the CRLF.
Result<std::string_view> ReadLine(std::string_view body, size_t* pos) {
  std::string_view rest = body.substr(*pos);
  size_t end = rest.substr(0, kMaxChunkLineSize + 2).find(kCrlf);
  if (end == std::string_view::npos) {
    if (rest.size() > kMaxChunkLineSize) return Malformed("line too long");
    return Malformed("truncated (missing CRLF)");
  }
  *pos += end + 2;
  return rest.substr(0, end);
}

Result<uint64_t> ParseHexSize(std::string_view s) {
  if (s.empty() || s.size() > 16) return Malformed("bad chunk size '" + std::string(s.substr(0, 32)) + "'");
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return Malformed("bad chunk size '" + std::string(s.substr(0, 32)) + "'");
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

std::string Hmac(std::string_view key, std::string_view data) {
  return HexEncode(crypto::HmacSha256(key, data));
}

}  // namespace

Result<AwsChunkedBody> DecodeAwsChunked(std::string_view body, uint64_t max_decoded_size) {
  AwsChunkedBody out;
  size_t pos = 0;
  while (true) {
    OT_ASSIGN_OR_RETURN(std::string_view line, ReadLine(body, &pos));
    std::string_view size_part = line;
    std::string signature;
    if (size_t semi = line.find(';'); semi != std::string_view::npos) {
      size_part = line.substr(0, semi);
      std::string_view ext = Trim(line.substr(semi + 1));
      if (StartsWith(ext, kSignatureExt)) {
        std::string_view sig = ext.substr(kSignatureExt.size());
        if (!IsLowerHex64(sig)) return Malformed("bad chunk-signature");
        signature = std::string(sig);
      } else {
        return Malformed("unknown chunk extension");
      }
    }
    OT_ASSIGN_OR_RETURN(uint64_t size, ParseHexSize(Trim(size_part)));
    if (size > body.size() - pos) return Malformed("chunk size exceeds the body");
    if (size > max_decoded_size - out.payload.size()) {
      return Malformed("decoded size exceeds the limit");
    }
    AwsChunkedBody::Chunk chunk;
    chunk.offset = out.payload.size();
    chunk.size = static_cast<size_t>(size);
    chunk.signature = std::move(signature);
    out.chunks.push_back(std::move(chunk));
    if (size == 0) break;
    out.payload.append(body.substr(pos, static_cast<size_t>(size)));
    pos += static_cast<size_t>(size);
    if (body.substr(pos, 2) != kCrlf) return Malformed("missing CRLF after chunk data");
    pos += 2;
  }
  // Trailer section: lines up to an empty line.
  while (true) {
    OT_ASSIGN_OR_RETURN(std::string_view line, ReadLine(body, &pos));
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Malformed("bad trailer line");
    std::string name = ToLower(Trim(line.substr(0, colon)));
    std::string value(Trim(line.substr(colon + 1)));
    if (name == kTrailerSignatureName) {
      if (!out.trailer_signature.empty() || !IsLowerHex64(value)) {
        return Malformed("bad x-amz-trailer-signature");
      }
      out.trailer_signature = std::move(value);
      continue;
    }
    if (!out.trailer_signature.empty()) return Malformed("trailer after the trailer signature");
    if (out.trailers.size() >= kMaxTrailers) return Malformed("too many trailers");
    out.trailers.emplace_back(std::move(name), std::move(value));
  }
  if (pos != body.size()) return Malformed("data after the final chunk");
  return out;
}

std::string CanonicalTrailers(const std::vector<std::pair<std::string, std::string>>& trailers) {
  std::string out;
  for (const auto& [name, value] : trailers) {
    out += name;
    out += ':';
    out += value;
    out += '\n';
  }
  return out;
}

ChunkSigner::ChunkSigner(std::string signing_key, std::string amz_date, std::string scope,
                         std::string seed_signature)
    : signing_key_(std::move(signing_key)), amz_date_(std::move(amz_date)),
      scope_(std::move(scope)), previous_(std::move(seed_signature)) {}

std::string ChunkSigner::NextChunkSignature(std::string_view chunk_data) {
  std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n" + amz_date_ + "\n" + scope_ + "\n" + previous_ +
                    "\n" + std::string(kEmptySha256) + "\n" + crypto::Sha256Hex(chunk_data);
  previous_ = Hmac(signing_key_, sts);
  return previous_;
}

std::string ChunkSigner::TrailerSignature(std::string_view canonical_trailers) const {
  std::string sts = "AWS4-HMAC-SHA256-TRAILER\n" + amz_date_ + "\n" + scope_ + "\n" + previous_ +
                    "\n" + crypto::Sha256Hex(canonical_trailers);
  return Hmac(signing_key_, sts);
}

std::string EncodeAwsChunked(std::string_view payload, size_t chunk_size, ChunkSigner* signer,
                             const std::vector<std::pair<std::string, std::string>>& trailers) {
  if (chunk_size == 0) chunk_size = 64 * 1024;
  std::string out;
  auto emit = [&](std::string_view data) {
    char size_hex[32];
    std::snprintf(size_hex, sizeof(size_hex), "%zx", data.size());
    out += size_hex;
    if (signer != nullptr) {
      out += ";";
      out += kSignatureExt;
      out += signer->NextChunkSignature(data);
    }
    out += kCrlf;
    if (!data.empty()) {
      out += data;
      out += kCrlf;
    }
  };
  for (size_t off = 0; off < payload.size(); off += chunk_size) {
    emit(payload.substr(off, chunk_size));
  }
  emit({});
  for (const auto& [name, value] : trailers) {
    out += name;
    out += ':';
    out += value;
    out += kCrlf;
  }
  if (signer != nullptr && !trailers.empty()) {
    out += kTrailerSignatureName;
    out += ':';
    out += signer->TrailerSignature(CanonicalTrailers(trailers));
    out += kCrlf;
  }
  out += kCrlf;
  return out;
}

}  // namespace orgtrail::auth
