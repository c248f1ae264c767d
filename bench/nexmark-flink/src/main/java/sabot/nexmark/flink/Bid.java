// Bid: a Nexmark bid event (the columns of Sabot's bid table).
package sabot.nexmark.flink;

/** A public POJO (Flink's POJO serializer); times in microseconds since the epoch. */
public class Bid {
  public long auction;
  public long bidder;
  public long price;
  public String channel;
  public String url;
  public long dateTime;
  public String extra;

  public Bid() {}
}
