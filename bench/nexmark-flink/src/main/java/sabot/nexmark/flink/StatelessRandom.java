// StatelessRandom: the Java twin of cpp/sabot/io/stateless_random.h, bit for bit.
package sabot.nexmark.flink;

/** Every value is a hash of (seed, event number, stream), as in Sabot, so any event range is
 *  generated independently on any subtask and equals what Sabot generates. Java's long
 *  arithmetic wraps like C++'s uint64_t; shifts that must not sign-extend use >>>. */
public final class StatelessRandom {
  private StatelessRandom() {}

  /** splitmix64's finalizer. */
  public static long mix(long x) {
    x += 0x9E3779B97F4A7C15L;
    x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
    x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
    return x ^ (x >>> 31);
  }

  /** Lemire's multiply-shift onto [0, n): the high 64 bits of the unsigned 128-bit product.
   *  Java 17 has only the signed high product; for n < 2^63 the unsigned one adds n when h's
   *  top bit is set. */
  public static long below(long h, long n) {
    return Math.multiplyHigh(h, n) + ((h >> 63) & n);
  }

  public static long hash(long seed, long id, long stream) {
    return mix(mix(seed ^ (stream * 0xD1B54A32D192ED03L)) ^ id);
  }

  /** A double in [0, 1): the top 53 bits, exactly as Sabot converts them. */
  public static double unit(long h) {
    return (double) (h >>> 11) * 0x1.0p-53;
  }
}
