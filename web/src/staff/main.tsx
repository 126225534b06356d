import { render } from 'preact';
import { StaffApp } from './StaffApp';
import '../ui/style.css';
import './staff.css';

render(<StaffApp />, document.getElementById('app')!);
