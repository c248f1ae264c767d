// Person: a Nexmark person event (the columns of Sabot's person table).
package sabot.nexmark.flink;

/** A public POJO so Flink serializes it with its POJO serializer, not Kryo. Times are
 *  microseconds since the epoch, as in Sabot's timestamp[us] columns. */
public class Person {
  public long id;
  public String name;
  public String emailAddress;
  public String creditCard;
  public String city;
  public String state;
  public long dateTime;
  public String extra;

  public Person() {}
}
