/**
 * Order tickets: what the strategy wrote on an order when it sent it (instrument, side, type, time
 * in force, price, size, send time). A ticket is the content of the request message, so the
 * exchange may read it once the request has arrived, and the local view may read it any time;
 * neither processor writes the other's state.
 */
export class OrderTickets {
  length = 0;
  instrument = new Uint16Array(64);
  side = new Int8Array(64);
  type = new Uint8Array(64);
  tif = new Uint8Array(64);
  price = new Float64Array(64);
  qty = new Float64Array(64);
  sentT = new Float64Array(64);

  add(instrument: number, side: number, type: number, tif: number, price: number, qty: number, sentT: number): number {
    if (this.length === this.side.length) this.grow();
    const o = this.length++;
    this.instrument[o] = instrument;
    this.side[o] = side;
    this.type[o] = type;
    this.tif[o] = tif;
    this.price[o] = price;
    this.qty[o] = qty;
    this.sentT[o] = sentT;
    return o;
  }

  private grow(): void {
    const n = this.side.length * 4;
    const g = <T extends Float64Array | Uint16Array | Int8Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a as unknown as ArrayLike<number>);
      return b;
    };
    this.instrument = g(this.instrument);
    this.side = g(this.side);
    this.type = g(this.type);
    this.tif = g(this.tif);
    this.price = g(this.price);
    this.qty = g(this.qty);
    this.sentT = g(this.sentT);
  }
}
