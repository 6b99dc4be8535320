// Type tests of the generated kit (stack fleet): compiled by tsc --strict with the kits
// (tests/client/run.sh), never run. Each `@ts-expect-error` line must fail to type-check; tsc
// reports an unused directive when a forbidden use compiles.
import { connect, topics, type Options, type Session } from "./fleet.js";

declare const member: Session<"member">;
declare const guest: Session<"guest">;
declare const options: Options<"fleet">;
const id = "us-east-1:1111";

export async function granted(): Promise<void> {
  await member.publish(topics.member.publish.devicesTelemetry(id), "21.5");
  await member.publish(topics.member.publish.devicesStatus(id, "battery"), "80");
  await member.subscribe(topics.member.subscribe.devicesCommands(id));
  await member.subscribe(topics.member.subscribe.fleetNews());
  await guest.publish(topics.guest.publish.lobbyHello(), "hi");
  await guest.subscribe(topics.guest.subscribe.lobbyAnnouncements());
  const session: Session<"member"> = await connect(options, "member");
  await session.end();
}

export async function forbidden(): Promise<void> {
  // @ts-expect-error a guest cannot publish a member's topic
  await guest.publish(topics.member.publish.devicesTelemetry(id), "x");
  // @ts-expect-error a plain string is not a granted topic
  await member.publish("devices/us-east-1:1111/telemetry", "x");
  // @ts-expect-error a subscribe filter is not a publish topic
  await member.publish(topics.member.subscribe.fleetNews(), "x");
  // @ts-expect-error a publish topic is not a subscribe filter
  await member.subscribe(topics.member.publish.devicesTelemetry(id));
  // @ts-expect-error the lobby is the guests'
  await member.subscribe(topics.guest.subscribe.lobbyAnnouncements());
  // @ts-expect-error members do not publish news
  topics.member.publish.fleetNews;
  // @ts-expect-error the pool has no role admin
  await connect(options, "admin");
  // @ts-expect-error the stack has no pool other
  const other: Options<"other"> = options;
  void other;
}
