// Dashboard page: the weather strip: one card per city (temperature, condition, humidity, wind).
import { formatTime } from './format.ts';
import type { Delivery, Weather } from './model.ts';
import { asWeather } from './model.ts';

interface Card {
  readonly li: HTMLLIElement;
  readonly temperature: HTMLElement;
  readonly details: HTMLElement;
  epoch: string | null;
  offset: number;
}

/** The weather strip. */
export class WeatherStrip {
  readonly #cards = new Map<string, Card>();

  /**
   * @param list The strip's `ul`.
   * @param cities The cities, in order.
   */
  constructor(list: HTMLElement, cities: readonly string[]) {
    for (const city of cities) {
      const li = document.createElement('li');
      li.dataset['city'] = city;
      const name = document.createElement('span');
      name.className = 'city';
      name.textContent = city;
      name.title = city;
      const temperature = document.createElement('span');
      temperature.className = 'temperature';
      temperature.textContent = '…';
      const details = document.createElement('span');
      details.className = 'details';
      li.append(name, temperature, details);
      list.append(li);
      this.#cards.set(city, { li, temperature, details, epoch: null, offset: 0 });
    }
  }

  /**
   * Shows a report if it is newer than the shown one (or from a new epoch).
   * @returns true when shown.
   */
  apply(city: string, p: Delivery): boolean {
    const card = this.#cards.get(city);
    const report: Weather | null = asWeather(p.data);
    if (card === undefined || report === null) return false;
    if (card.epoch === p.epoch && p.offset <= card.offset) return false;
    card.epoch = p.epoch;
    card.offset = p.offset;
    card.li.dataset['epoch'] = p.epoch;
    card.li.dataset['offset'] = String(p.offset);
    card.temperature.textContent = `${report.temperatureC.toFixed(1)} °C`;
    card.details.textContent = `${report.condition} · ${report.humidity} % · ${report.windKph} km/h`;
    card.li.title = `${city} at ${formatTime(report.time)}: ${report.condition}, humidity ${report.humidity} %, wind ${report.windKph} km/h`;
    return true;
  }
}
