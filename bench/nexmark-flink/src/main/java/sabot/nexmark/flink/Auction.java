// Auction: a Nexmark auction event (the columns of Sabot's auction table).
package sabot.nexmark.flink;

/** A public POJO (Flink's POJO serializer); times in microseconds since the epoch. */
public class Auction {
  public long id;
  public String itemName;
  public String description;
  public long initialBid;
  public long reserve;
  public long dateTime;
  public long expires;
  public long seller;
  public long category;
  public String extra;

  public Auction() {}
}
