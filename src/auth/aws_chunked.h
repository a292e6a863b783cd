// aws-chunked: the content encoding S3 clients use for streaming uploads
// (X-Amz-Content-SHA256: STREAMING-...). Wire form (aws-compat.md §2.3):
//
//   hex-size[;chunk-signature=<64 hex>]\r\n <data> \r\n     (repeated)
//   0[;chunk-signature=<64 hex>]\r\n                         (final chunk)
//   name:value\r\n ...                                       (trailers, optional)
//   [x-amz-trailer-signature:<64 hex>\r\n]
//   \r\n
//
// DecodeAwsChunked undoes the framing only; the SigV4 Verifier checks the
// chunk and trailer signatures with ChunkSigner, and S3 checks checksum
// trailers. EncodeAwsChunked is the client side (CLI, tests, benchmarks).
// Pure functions; ChunkSigner has one owner (not thread-safe).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace orgtrail::auth {

struct AwsChunkedBody {
  struct Chunk {
    size_t offset = 0;      // into `payload`
    size_t size = 0;
    std::string signature;  // lower-case hex; empty when the chunk was unsigned
  };
  std::string payload;        // the decoded bytes, framing removed
  std::vector<Chunk> chunks;  // every chunk, including the final zero-length one
  // Trailer lines in order, names lower-cased, values trimmed; without the
  // x-amz-trailer-signature line.
  std::vector<std::pair<std::string, std::string>> trailers;
  std::string trailer_signature;  // empty when absent
};

// Upper bounds that keep hostile framing cheap to reject.
constexpr size_t kMaxChunkLineSize = 4096;
constexpr size_t kMaxTrailers = 64;

// Decodes a complete aws-chunked body. Fails with InvalidRequest (400) on
// malformed framing: bad hex size, a size beyond the remaining bytes, a
// missing CRLF, a chunk line longer than kMaxChunkLineSize, a malformed
// chunk-signature, bytes after the final CRLF, too many or malformed trailer
// lines, or a decoded size above `max_decoded_size`.
Result<AwsChunkedBody> DecodeAwsChunked(std::string_view body,
                                        uint64_t max_decoded_size = UINT64_MAX);

// The bytes the trailer signature covers: "name:value\n" for every trailer.
std::string CanonicalTrailers(const std::vector<std::pair<std::string, std::string>>& trailers);

// The SigV4 streaming signature chain. Seeded with the request's header
// signature; each chunk signature covers the previous signature and the
// chunk's SHA-256, the trailer signature the final chunk's signature and the
// canonical trailers.
class ChunkSigner {
 public:
  ChunkSigner(std::string signing_key, std::string amz_date, std::string scope,
              std::string seed_signature);
  // Returns the signature of the next chunk and advances the chain.
  std::string NextChunkSignature(std::string_view chunk_data);
  // Signature over CanonicalTrailers(...) following the last chunk.
  std::string TrailerSignature(std::string_view canonical_trailers) const;

 private:
  const std::string signing_key_;
  const std::string amz_date_;
  const std::string scope_;
  std::string previous_;
};

// Encodes `payload` in chunks of `chunk_size` (> 0) bytes. With a signer,
// every chunk (and the trailers, if any) carries a signature; without one the
// chunks are unsigned (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
std::string EncodeAwsChunked(std::string_view payload, size_t chunk_size, ChunkSigner* signer,
                             const std::vector<std::pair<std::string, std::string>>& trailers = {});

}  // namespace orgtrail::auth
