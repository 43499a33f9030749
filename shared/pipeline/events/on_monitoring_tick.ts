import { MonitoringTick } from '../../core/events';
import { runMonitoringTick } from '../usecases/on_monitoring_tick';
import { handler } from './event_handler';

export const onMonitoringTick = handler('onMonitoringTick', MonitoringTick, runMonitoringTick);
