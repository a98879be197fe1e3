// amqplib (npm) against Herald, one scenario per run: node amqplib_client.mjs <scenario> <port>.
// Prints key=value lines for Herald.Frontends.Amqp.Tests to check; exits non-zero only when the scenario itself
// went wrong (an unexpected exception).
import amqp from 'amqplib';

const [scenario, port] = process.argv.slice(2);
const url = (user, password, vhost) => `amqp://${user}:${password}@127.0.0.1:${port}/${encodeURIComponent(vhost)}`;

switch (scenario) {
  case 'open-close': {
    const connection = await amqp.connect(url('guest', 'guest', '/') + '?heartbeat=10');
    const inner = connection.connection;
    console.log(`product=${inner.serverProperties.product}`);
    console.log(`heartbeat=${inner.heartbeat}`);
    console.log(`frame_max=${inner.frameMax}`);
    const channel = await connection.createChannel();
    console.log(`channel=${channel.ch}`);
    await channel.close();
    console.log('channel_closed=true');
    await connection.close();
    console.log('connection_closed=true');
    break;
  }
  case 'bad-password':
    try {
      await amqp.connect(url('guest', 'wrong', '/'));
      console.log('connected');
    } catch (error) {
      console.log(`auth_error=${error.message}`);
    }
    break;
  case 'bad-vhost':
    try {
      await amqp.connect(url('guest', 'guest', 'no-such-vhost'));
      console.log('connected');
    } catch (error) {
      console.log(`error=${error.message}`);
    }
    break;
  case 'not-implemented': {
    // 540 is a hard error: the connection closes, and amqplib reports it on the connection, failing the channel's
    // pending call with "Channel ended".
    const connection = await amqp.connect(url('guest', 'guest', '/'));
    const closed = new Promise((resolve) => connection.on('error', resolve));
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    try {
      // Every channel method is implemented; a prefetch size is not (RabbitMQ answers 540 too). amqplib's prefetch()
      // always sends size 0, so basic.qos (60, 10) and qos-ok (60, 11) go through its generic rpc by method id.
      await channel.rpc((60 << 16) | 10, { prefetchSize: 1, prefetchCount: 0, global: false }, (60 << 16) | 11);
      console.log('declared');
    } catch (error) {
      const reason = await closed;
      console.log(`closed=${reason.code} ${reason.message}`);
    }
    break;
  }
  default:
    throw new Error(`unknown scenario ${scenario}`);
}
