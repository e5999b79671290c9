//! One thread, one `poll` loop, five kinds of events: a TCP listener, a
//! periodic timer, a one-shot timer that ends the program, SIGINT (Unix
//! only: `mio::signal` is Unix-only), and a channel fed by another thread.
//!
//! Run with:
//!
//! ```text
//! cargo run --example event_sources --features "timer signal channel net os-poll"
//! ```
//!
//! It exits on its own after three seconds, or at the first Ctrl-C (on
//! Windows, Ctrl-C ends it the default way).

#[cfg(any(unix, windows))]
fn main() -> std::io::Result<()> {
    sources::main()
}

// Timers and channels exist on Unix and Windows only.
#[cfg(not(any(unix, windows)))]
fn main() {
    eprintln!("event_sources runs on Unix and Windows");
}

#[cfg(any(unix, windows))]
mod sources {
    use std::io::{self, ErrorKind};
    use std::net::TcpStream as StdTcpStream;
    use std::thread;
    use std::time::{Duration, Instant};

    use mio::channel::{self, TryRecvError};
    use mio::net::TcpListener;
    #[cfg(unix)]
    use mio::signal::Signals;
    use mio::timer::Timer;
    use mio::{Events, Interest, Poll, Token};

    const LISTENER: Token = Token(0);
    const TICK: Token = Token(1);
    const DEADLINE: Token = Token(2);
    #[cfg(unix)]
    const SIGNALS: Token = Token(3);
    const MESSAGES: Token = Token(4);

    pub fn main() -> io::Result<()> {
        let mut poll = Poll::new()?;
        let mut events = Events::with_capacity(64);
        let start = Instant::now();

        let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
        let address = listener.local_addr()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;

        let mut tick = Timer::new()?;
        tick.set_interval(Duration::from_millis(700))?;
        poll.registry()
            .register(&mut tick, TICK, Interest::READABLE)?;

        let mut deadline = Timer::new()?;
        deadline.set_timeout(Duration::from_secs(3))?;
        poll.registry()
            .register(&mut deadline, DEADLINE, Interest::READABLE)?;

        #[cfg(unix)]
        let mut signals = Signals::new(&[libc::SIGINT])?;
        #[cfg(unix)]
        poll.registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)?;

        let (sender, mut receiver) = channel::channel::<String>(16)?;
        poll.registry()
            .register(&mut receiver, MESSAGES, Interest::READABLE)?;

        // The other thread: a few messages, one TCP connection, then it drops
        // its sender, which the loop sees as a disconnection.
        let producer = thread::spawn(move || {
            for i in 1..=4 {
                thread::sleep(Duration::from_millis(400));
                if sender
                    .try_send(format!("message {} from the producer", i))
                    .is_err()
                {
                    return;
                }
                if i == 2 {
                    // Kept open until the producer ends.
                    let _connection = StdTcpStream::connect(address);
                    thread::sleep(Duration::from_millis(100));
                }
            }
        });

        println!(
            "waiting on {}, a 700 ms tick, a 3 s deadline, {}a channel",
            address,
            if cfg!(unix) { "SIGINT and " } else { "" }
        );
        'outer: loop {
            match poll.poll(&mut events, None) {
                // SIGINT lands on this thread as often as not.
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                result => result?,
            }
            let at = start.elapsed().as_millis();
            for event in events.iter() {
                match event.token() {
                    LISTENER => loop {
                        match listener.accept() {
                            Ok((_, peer)) => {
                                println!("{:5} ms  listener: connection from {}", at, peer)
                            }
                            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                            Err(e) => return Err(e),
                        }
                    },
                    TICK => match tick.read() {
                        Ok(n) => println!("{:5} ms  tick: {} expiration(s)", at, n),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    },
                    DEADLINE => match deadline.read() {
                        Ok(_) => {
                            println!("{:5} ms  deadline: done", at);
                            break 'outer;
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    },
                    #[cfg(unix)]
                    SIGNALS => {
                        let mut interrupted = false;
                        while let Some(signal) = signals.receive()? {
                            println!("{:5} ms  signal: {}", at, signal);
                            interrupted |= signal == libc::SIGINT;
                        }
                        if interrupted {
                            println!("{:5} ms  SIGINT: stopping", at);
                            break 'outer;
                        }
                    }
                    MESSAGES => loop {
                        match receiver.try_recv() {
                            Ok(message) => println!("{:5} ms  channel: {}", at, message),
                            Err(TryRecvError::Empty) => break,
                            Err(TryRecvError::Disconnected) => {
                                println!("{:5} ms  channel: every sender is gone", at);
                                poll.registry().deregister(&mut receiver)?;
                                break;
                            }
                        }
                    },
                    _ => unreachable!(),
                }
            }
        }
        // Dropping `receiver` makes the producer's next send fail, so it ends.
        drop(receiver);
        producer.join().unwrap();
        Ok(())
    }
}
